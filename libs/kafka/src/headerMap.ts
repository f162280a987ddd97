/**
 * An empty map of Kafka headers, by name. Kafka allows any header name,
 * `__proto__` included, and kafkajs decodes a record's headers into own
 * properties; but assigning `map["__proto__"] = value` to an ordinary object
 * replaces its prototype instead of adding the header (dropping it, or
 * worse). A map without a prototype keeps every name as a header.
 */
export const emptyHeaderMap = <V>(): Record<string, V> => Object.create(null) as Record<string, V>
