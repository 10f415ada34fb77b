// Secrets that every host and the Node-RED editor (a browser) make and check the form of.
// Nothing here needs Node: randomness comes from the Web Crypto API's getRandomValues, which
// Node (20+, as the global `crypto`) and every browser the editors support provide. Comparing a
// presented secret needs hashing and a timing-safe compare, which only Node offers
// synchronously: that lives in secret-check.ts, which the editor never loads.

/** Bytes of randomness in a callback secret (256 bits). */
export const SECRET_BYTES = 32;
/** Longer presented values are refused unread. */
export const MAX_SECRET_LENGTH = 512;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding, as Node's Buffer writes it (no Buffer, no btoa: both hosts and browsers). */
function base64url(bytes: Uint8Array): string {
	let text = '';
	for (let i = 0; i < bytes.length; i += 3) {
		const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
		for (let c = 0; c < chars; c++) text += BASE64URL[(chunk >> (18 - 6 * c)) & 63];
	}
	return text;
}

/** A fresh callback secret: 256 random bits, URL-safe (base64url, 43 characters). */
export function generateSecret(): string {
	const bytes = new Uint8Array(SECRET_BYTES);
	crypto.getRandomValues(bytes);
	return base64url(bytes);
}

/** Secrets we generate, and those users paste in, must be at least this long to be unguessable. */
export const MIN_SECRET_LENGTH = 16;

export function isStrongSecret(value: unknown): value is string {
	return typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && value.length <= MAX_SECRET_LENGTH;
}

/** Replaces every occurrence of each secret (API key, callback token) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
	let result = text;
	for (const secret of secrets) {
		if (typeof secret === 'string' && secret.length >= 4) result = result.split(secret).join('[redacted]');
	}
	return result;
}
