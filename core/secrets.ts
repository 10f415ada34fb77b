import { createHash, randomBytes, timingSafeEqual } from 'crypto';

/** Bytes of randomness in a callback secret (256 bits). */
export const SECRET_BYTES = 32;
const MAX_PRESENTED_LENGTH = 512;

/** A fresh callback secret: 256 random bits, URL-safe (base64url, 43 characters). */
export function generateSecret(): string {
	return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Secrets we generate, and those users paste in, must be at least this long to be unguessable. */
export const MIN_SECRET_LENGTH = 16;

export function isStrongSecret(value: unknown): value is string {
	return typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && value.length <= MAX_PRESENTED_LENGTH;
}

function digest(value: string): Buffer {
	return createHash('sha256').update(value, 'utf8').digest();
}

/** Digests of expected secrets: a receiver checks every callback against the same few. */
const expectedDigests = new Map<string, Buffer>();
const EXPECTED_DIGESTS_KEPT = 256;

function expectedDigest(expected: string): Buffer {
	let value = expectedDigests.get(expected);
	if (value === undefined) {
		value = digest(expected);
		if (expectedDigests.size >= EXPECTED_DIGESTS_KEPT) expectedDigests.delete(expectedDigests.keys().next().value as string);
		expectedDigests.set(expected, value);
	}
	return value;
}

/**
 * Compares a presented secret with the expected one in constant time: both are hashed first,
 * so neither the content nor the length of the expected secret leaks through timing.
 */
export function verifySecret(expected: string, presented: unknown): boolean {
	if (typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_LENGTH) {
		// Still spend the same work, so a missing token is not faster to learn about.
		timingSafeEqual(expectedDigest(expected), digest(expected));
		return false;
	}
	return timingSafeEqual(expectedDigest(expected), digest(presented)) && expected.length > 0;
}

/** A digest as `secretDigest` writes it: SHA-256, 64 lowercase hex digits. */
const DIGEST_HEX = /^[0-9a-f]{64}$/;

/**
 * What a host may store instead of a secret it generated (e.g. in data persisted or exported with
 * a workflow): SHA-256 as 64 lowercase hex digits. Only for secrets with enough randomness to
 * make guessing hopeless (`generateSecret`'s 256 bits), as there is no salt and no stretching.
 */
export function secretDigest(secret: string): string {
	return digest(secret).toString('hex');
}

export function isSecretDigest(value: unknown): value is string {
	return typeof value === 'string' && DIGEST_HEX.test(value);
}

/**
 * `verifySecret` against a stored `secretDigest` instead of the secret itself, with the same
 * rules: constant time, and false for a presented value that is not a non-empty string (or is
 * too long), and for an expected digest that is not one `secretDigest` wrote.
 */
export function verifySecretDigest(expectedDigest: string, presented: unknown): boolean {
	const validDigest = isSecretDigest(expectedDigest);
	const expected = validDigest ? Buffer.from(expectedDigest, 'hex') : digest(String(expectedDigest));
	if (typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_LENGTH) {
		// Still spend the same work, so a missing token is not faster to learn about.
		timingSafeEqual(expected, digest(''));
		return false;
	}
	return timingSafeEqual(expected, digest(presented)) && validDigest;
}

/** Replaces every occurrence of each secret (API key, callback token) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
	let result = text;
	for (const secret of secrets) {
		if (typeof secret === 'string' && secret.length >= 4) result = result.split(secret).join('[redacted]');
	}
	return result;
}
