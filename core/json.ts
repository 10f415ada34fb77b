// Reading JSON that arrived over the wire: only a value's own fields count (a body such as
// `{"__proto__": …}` or `{"constructor": …}` must not reach inherited properties).

/** The value of `object`'s own field `key`, or undefined. */
export function own(object: object, key: string): unknown {
	return Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is object {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
