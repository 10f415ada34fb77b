// The credential's test, run the way n8n runs a declarative credential test: its request, signed
// by the credential's authenticate(), sent to the sandbox; a non-2xx answer or a rule whose body
// field matches fails it with that rule's message.
import type { ICredentialTestRequest, IDataObject } from 'n8n-workflow';
import { request } from 'undici';

import { MemoriesLiveVideoApi } from '../../credentials/MemoriesLiveVideoApi.credentials';
import { Sandbox, startSandbox } from '../../sandbox/src';

const KEY = 'sk-n8n-credential-test';
let sandbox: Sandbox;
const credential = new MemoriesLiveVideoApi();

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
});

type Result = { status: 'OK' } | { status: 'Error'; message: string };

async function runCredentialTest(apiKey: string): Promise<Result> {
	const test = credential.test as ICredentialTestRequest;
	const options = { ...test.request, baseURL: sandbox.url, url: test.request.url! };
	const signed = await credential.authenticate({ apiKey, baseUrl: sandbox.url } as IDataObject, options);
	const response = await request(`${signed.baseURL}${signed.url}`, {
		method: signed.method as 'POST',
		headers: { 'content-type': 'application/json', ...(signed.headers as Record<string, string>) },
		body: JSON.stringify(signed.body),
	});
	const text = await response.body.text();
	// n8n's tester: a non-2xx answer fails with the message of a responseCode rule for it, if any.
	for (const rule of test.rules ?? []) {
		if (rule.type === 'responseCode' && rule.properties.value === response.statusCode) return { status: 'Error', message: rule.properties.message };
	}
	if (response.statusCode < 200 || response.statusCode > 299) return { status: 'Error', message: `HTTP ${response.statusCode}` };
	const body = JSON.parse(text) as Record<string, unknown>;
	for (const rule of test.rules ?? []) {
		if (rule.type === 'responseSuccessBody' && body[rule.properties.key] === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK' };
}

it('passes for an accepted key, without starting or stopping anything', async () => {
	await expect(runCredentialTest(KEY)).resolves.toEqual({ status: 'OK' });
	expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 0, stops: 0, activeTasks: 0 } });
});

it('fails for a wrong key', async () => {
	await expect(runCredentialTest('sk-not-a-key')).resolves.toMatchObject({ status: 'Error' });
});

it.each([
	['a 5000', { kind: 'status', status: 5000 }, /internal error \(status 5000\)/],
	['capacity (16)', { kind: 'status', status: 16 }, /capacity/],
	['a legacy 0401 with HTTP 200', { kind: 'legacy', code: '0401', httpStatus: 200 }, /did not accept the API key \(code 0401\)/],
	['a legacy 9009 with HTTP 200', { kind: 'legacy', code: '9009', httpStatus: 200 }, /not allowed to use live video understanding/],
])('fails with the core’s message when the service answers %s (not a proof of the key)', async (_label, fault, message) => {
	sandbox.injectFault({ on: 'stop', ...fault } as Parameters<Sandbox['injectFault']>[0]);
	const result = await runCredentialTest(KEY);
	expect(result).toMatchObject({ status: 'Error', message: expect.stringMatching(message) });
});

describe('redirects', () => {
	it.each([
		[301, 'other_port'],
		[302, 'other_port'],
		[307, 'other_port'],
		[307, 'localhost'],
		[308, 'other_port'],
	] as const)('a %i to %s fails the test with the redirect advice; the key reaches no other origin', async (httpStatus, to) => {
		sandbox.injectFault({ on: 'stop', kind: 'redirect', httpStatus, to });
		const result = await runCredentialTest(KEY);
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(new RegExp(`HTTP ${httpStatus}, a redirect\\. The API key is only ever sent to the Base URL`)) });
		expect(sandbox.foreignRequests()).toEqual([]);
	});

	it('the test request tells n8n not to follow redirects', () => {
		expect((credential.test as ICredentialTestRequest).request).toMatchObject({ disableFollowRedirect: true, sendCredentialsOnCrossOriginRedirect: false });
	});

	it('authenticate() signs only requests for the Base URL’s origin, and never for a redirect', async () => {
		const credentials = { apiKey: KEY, baseUrl: 'http://127.0.0.1:4010/' } as IDataObject;
		const signed = await credential.authenticate(credentials, { url: 'http://127.0.0.1:4010/v1/understand/stop/x', method: 'POST' });
		expect(signed).toMatchObject({ headers: { Authorization: KEY }, disableFollowRedirect: true, sendCredentialsOnCrossOriginRedirect: false });
		for (const url of ['http://localhost:4010/v1/understand/stop/x', 'http://127.0.0.1:4011/v1/understand/stop/x', 'https://127.0.0.1:4010/x', 'http://evil.example/']) {
			const refused = await credential.authenticate(credentials, { url, method: 'POST' }).catch((error: unknown) => error);
			expect(refused).toMatchObject({ code: 'KEY_ORIGIN_REFUSED' });
			expect(String((refused as Error).message)).not.toContain(KEY);
		}
	});
});
