import { createHash } from 'crypto';

import {
	InputError,
	START_PATH,
	buildCallbackUrl,
	buildStartRequest,
	buildStopRequest,
	generateSecret,
	isStrongSecret,
	maskCallbackToken,
	normaliseReceiverPath,
	isSecretDigest,
	redact,
	secretDigest,
	tokenFromQuery,
	verifySecret,
	verifySecretDigest,
	withCallbackToken,
} from '../../core';

describe('secrets', () => {
	it('generates 256-bit URL-safe secrets that differ', () => {
		const secrets = new Set(Array.from({ length: 1000 }, generateSecret));
		expect(secrets.size).toBe(1000);
		for (const secret of secrets) {
			expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect(isStrongSecret(secret)).toBe(true);
		}
	});

	it('encodes them as Node’s base64url does (the editor makes them in a browser, without Buffer)', () => {
		for (const secret of Array.from({ length: 50 }, generateSecret)) {
			const bytes = Buffer.from(secret, 'base64url');
			expect(bytes).toHaveLength(32);
			expect(bytes.toString('base64url')).toBe(secret);
		}
	});

	it('verifies only the exact secret', () => {
		const secret = generateSecret();
		expect(verifySecret(secret, secret)).toBe(true);
		expect(verifySecret(secret, `${secret} `)).toBe(false);
		expect(verifySecret(secret, secret.slice(1))).toBe(false);
		expect(verifySecret(secret, undefined)).toBe(false);
		expect(verifySecret(secret, 42)).toBe(false);
		expect(verifySecret(secret, 'x'.repeat(100000))).toBe(false);
		expect(verifySecret('', '')).toBe(false);
	});

	it('digests a secret as SHA-256 hex, without a trace of the secret', () => {
		const secret = generateSecret();
		const digest = secretDigest(secret);
		expect(digest).toMatch(/^[0-9a-f]{64}$/);
		expect(digest).toBe(createHash('sha256').update(secret, 'utf8').digest('hex'));
		expect(secretDigest(secret)).toBe(digest);
		expect(secretDigest(generateSecret())).not.toBe(digest);
		expect(digest).not.toContain(secret.slice(0, 8));
		expect(isSecretDigest(digest)).toBe(true);
		expect(isSecretDigest(secret)).toBe(false);
		expect(isSecretDigest(digest.toUpperCase())).toBe(false);
		expect(isSecretDigest(undefined)).toBe(false);
	});

	it('verifies a presented secret against a stored digest with the rules of verifySecret', () => {
		const secret = generateSecret();
		const digest = secretDigest(secret);
		expect(verifySecretDigest(digest, secret)).toBe(true);
		expect(verifySecretDigest(digest, `${secret} `)).toBe(false);
		expect(verifySecretDigest(digest, secret.slice(1))).toBe(false);
		expect(verifySecretDigest(digest, digest)).toBe(false); // the digest is no token
		expect(verifySecretDigest(digest, undefined)).toBe(false);
		expect(verifySecretDigest(digest, [secret])).toBe(false);
		expect(verifySecretDigest(digest, 42)).toBe(false);
		expect(verifySecretDigest(digest, '')).toBe(false);
		expect(verifySecretDigest(digest, 'x'.repeat(100000))).toBe(false);
		// Only digests secretDigest writes count: an empty or malformed one accepts nothing.
		expect(verifySecretDigest(secretDigest(''), '')).toBe(false);
		expect(verifySecretDigest('', '')).toBe(false);
		expect(verifySecretDigest('', secret)).toBe(false);
		expect(verifySecretDigest(secret, secret)).toBe(false);
		expect(verifySecretDigest(digest.slice(2), secret)).toBe(false);
		expect(verifySecretDigest(`${digest}00`, secret)).toBe(false);
		expect(verifySecretDigest(digest.toUpperCase(), secret)).toBe(false);
		// The same secret as verifySecret sees it.
		for (const presented of [secret, `${secret}x`, undefined, 42]) {
			expect(verifySecretDigest(digest, presented)).toBe(verifySecret(secret, presented));
		}
	});

	it('rejects weak user secrets', () => {
		expect(isStrongSecret('short')).toBe(false);
		expect(isStrongSecret(undefined)).toBe(false);
		expect(isStrongSecret('sixteen-chars-ok')).toBe(true);
	});

	it('redacts every occurrence of every secret', () => {
		expect(redact('key sk-1234 and sk-1234, token abcd', ['sk-1234', 'abcd', ''])).toBe(
			'key [redacted] and [redacted], token [redacted]',
		);
	});
});

describe('callback URLs', () => {
	it('adds, replaces and masks the token', () => {
		const url = withCallbackToken('https://n8n.example/webhook/abc/results?x=1', 'secret-1');
		expect(url).toBe('https://n8n.example/webhook/abc/results?x=1&token=secret-1');
		expect(withCallbackToken(url, 'new')).toBe('https://n8n.example/webhook/abc/results?x=1&token=new');
		expect(maskCallbackToken(url)).toBe('https://n8n.example/webhook/abc/results?x=1&token=***');
		expect(maskCallbackToken('no url ?token=abc&b=1')).toBe('no url ?token=***&b=1');
	});

	it('builds a receiver URL from its parts without doubled slashes', () => {
		expect(buildCallbackUrl('https://red.example:1880/', ['/api/', '/memories/kitchen'], 's3cret')).toBe(
			'https://red.example:1880/api/memories/kitchen?token=s3cret',
		);
		expect(buildCallbackUrl('https://proxy.example/nodered', ['/', 'memories'], 't')).toBe(
			'https://proxy.example/nodered/memories?token=t',
		);
	});

	it('reads a single token from a parsed query', () => {
		expect(tokenFromQuery({ token: 'a' })).toBe('a');
		expect(tokenFromQuery({ token: ['a', 'b'] })).toBeUndefined();
		expect(tokenFromQuery({})).toBeUndefined();
		expect(tokenFromQuery(null)).toBeUndefined();
		expect(tokenFromQuery(Object.create({ token: 'inherited' }))).toBeUndefined();
	});
});

describe('requests as data', () => {
	const params = {
		rtmpUrl: 'rtmp://cam/live/1',
		userPrompt: 'watch',
		systemPrompt: 'You are a monitor.',
		callbackUrl: 'https://x.example/cb',
		thinking: false,
	};

	it('builds start with the documented body and the raw key', () => {
		const request = buildStartRequest('http://127.0.0.1:4010', params, 'sk-mai-1');
		expect(request).toMatchObject({
			method: 'POST',
			url: `http://127.0.0.1:4010${START_PATH}`,
			headers: { Authorization: 'sk-mai-1', 'Content-Type': 'application/json' },
			json: { url: 'rtmp://cam/live/1', user_prompt: 'watch', system_prompt: 'You are a monitor.', callback: 'https://x.example/cb', thinking: false },
		});
		expect(JSON.parse(request.body)).toEqual(request.json);
	});

	it('leaves authentication out when the host adds it', () => {
		expect(buildStartRequest('https://stream.memories.ai', params).headers).not.toHaveProperty('Authorization');
	});

	it('builds stop with the task id in the path', () => {
		const request = buildStopRequest('https://proxy.example/m', 'abc-1', 'k');
		expect(request.url).toBe('https://proxy.example/m/v1/understand/stop/abc-1');
		expect(request.body).toBe('{}');
	});
});

describe('receiver paths', () => {
	it('normalises slashes and spaces', () => {
		expect(normaliseReceiverPath(' memories//results/ ')).toBe('/memories/results');
		expect(normaliseReceiverPath('a.b~c_d-e')).toBe('/a.b~c_d-e');
	});

	it.each([[''], ['/'], ['/memories/:id'], ['/a*'], ['/a?x=1'], ['/a/../b'], ['/é'], [42]])('refuses %p', (path) => {
		expect(() => normaliseReceiverPath(path)).toThrow(/Path may only contain/);
	});
});
