import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { type BrowserContext, chromium } from "playwright-core"
import { temporaryFolder } from "../harness/index.ts"

/** Debian's chromium package: what the report tests open HTML in (XPSCORE_CHROMIUM names another build). */
export const CHROMIUM = process.env.XPSCORE_CHROMIUM ?? "/usr/bin/chromium"

/**
 * Makes sure headless Chromium is installed: when it is missing on a
 * Debian-like system, installs Debian's `chromium` package with apt (as root,
 * or through passwordless sudo as on CI runners). Playwright's own browser
 * download is not used: its CDN is not among the registries a build may
 * reach. Otherwise fails with what to install (never a silent skip).
 */
export const ensureChromium = (): string => {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  const sudo = !isRoot && spawnSync("sudo", ["-n", "true"]).status === 0
  const howTo = `install Debian's chromium package (sudo apt-get install chromium), or set XPSCORE_CHROMIUM to a Chromium binary, and run the tests again`
  if (process.env.XPSCORE_CHROMIUM !== undefined || !fs.existsSync("/usr/bin/apt-get") || !(isRoot || sudo)) {
    throw new Error(`the HTML report test needs headless Chromium at ${CHROMIUM}: ${howTo}`)
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  const apt = (args: ReadonlyArray<string>) =>
    sudo
      ? spawnSync("sudo", ["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args], { encoding: "utf8" })
      : spawnSync("apt-get", [...args], { env, encoding: "utf8" })
  const install = () => apt(["install", "-y", "--no-install-recommends", "chromium"])
  let result = install()
  if (result.status !== 0) {
    // a fresh machine has no package lists yet
    apt(["update"])
    result = install()
  }
  if (result.status !== 0 || !fs.existsSync(CHROMIUM)) {
    throw new Error(
      `apt-get install chromium failed (${result.status}): ${howTo}\n${(result.stderr ?? "").slice(-2_000)}`
    )
  }
  return CHROMIUM
}

/** A headless Chromium with a fresh profile of its own, closed by the caller. */
export const launchChromium = (): Promise<BrowserContext> =>
  chromium.launchPersistentContext(temporaryFolder("chromium-profile"), {
    executablePath: ensureChromium(),
    viewport: { width: 900, height: 1200 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
