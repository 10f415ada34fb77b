// Checking a presented callback secret: Node only (hosts' runtimes, never the editor). Node's
// crypto is used rather than the Web Crypto API because the check must be synchronous (a host
// routes a request by which secret it carries) and timing-safe, and Web Crypto offers neither a
// synchronous digest nor a constant-time compare.
import { createHash, timingSafeEqual } from 'crypto';

import { MAX_SECRET_LENGTH } from './secrets';

function digest(value: string): Buffer {
	return createHash('sha256').update(value, 'utf8').digest();
}

function isPresentable(presented: unknown): presented is string {
	return typeof presented === 'string' && presented.length > 0 && presented.length <= MAX_SECRET_LENGTH;
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
	if (!isPresentable(presented)) {
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
export function verifySecretDigest(expectedDigestHex: string, presented: unknown): boolean {
	const validDigest = isSecretDigest(expectedDigestHex);
	const expected = validDigest ? Buffer.from(expectedDigestHex, 'hex') : digest(String(expectedDigestHex));
	if (!isPresentable(presented)) {
		// Still spend the same work, so a missing token is not faster to learn about.
		timingSafeEqual(expected, digest(''));
		return false;
	}
	return timingSafeEqual(expected, digest(presented)) && validDigest;
}

/** The secret a callback must carry: itself, or only its `secretDigest` where that is what is stored. */
export type ExpectedSecret = string | { readonly digest: string };

export function verifyExpectedSecret(expected: ExpectedSecret, presented: unknown): boolean {
	return typeof expected === 'string' ? verifySecret(expected, presented) : verifySecretDigest(expected.digest, presented);
}
