// The core's stream client with a scripted transport: what a host gets by passing in its I/O.
import { ApiRequest, ApiResponse, InputError, MemoriesApiError, TransportFailure, createStreamClient } from '../../core';

const KEY = 'sk-mai-client-test-0001';
const input = {
	rtmpUrl: ' rtmp://camera.example.com/live/kitchen ',
	userPrompt: 'Is the pan boiling over?',
	callbackUrl: 'https://hooks.example.com/results?token=callback-secret-0123456789',
};

/** A transport that answers in turn with `answers` and records what it was asked to send. */
function scripted(...answers: Array<ApiResponse | TransportFailure>) {
	const sent: ApiRequest[] = [];
	const waits: number[] = [];
	const client = createStreamClient({
		baseUrl: 'http://127.0.0.1:4010',
		apiKey: KEY,
		transport: async (request) => {
			sent.push(request);
			const answer = answers.shift();
			if (!answer) throw new Error('no answer scripted');
			return answer;
		},
		sleep: async (ms) => void waits.push(ms),
		now: () => Date.UTC(2025, 0, 1, 12),
	});
	return { client, sent, waits };
}

describe('start', () => {
	it('validates, builds, sends and reads the answer; the clock says when', async () => {
		const { client, sent } = scripted({ httpStatus: 200, body: '{"status":0,"task_id":"task-1","text":""}' });
		const started = await client.start(input);
		expect(started).toEqual({
			taskId: 'task-1',
			startedAt: Date.UTC(2025, 0, 1, 12),
			params: { ...input, rtmpUrl: input.rtmpUrl.trim(), systemPrompt: 'You are a real-time video monitoring system.', thinking: false },
		});
		expect(sent).toHaveLength(1);
		expect(sent[0]).toMatchObject({ url: 'http://127.0.0.1:4010/v1/understand/streamConnect', headers: { Authorization: KEY } });
	});

	it('sends nothing for input the core refuses', async () => {
		const { client, sent } = scripted();
		await expect(client.start({ ...input, rtmpUrl: 'http://x' })).rejects.toBeInstanceOf(InputError);
		expect(sent).toHaveLength(0);
	});

	it('is never retried, and says when a lost answer may hide a started task', async () => {
		const { client, sent } = scripted({ errorCode: 'ECONNRESET' });
		const error = (await client.start(input).catch((e: unknown) => e)) as MemoriesApiError;
		expect(error).toBeInstanceOf(MemoriesApiError);
		expect(error).toMatchObject({ kind: 'network', code: 'ECONNRESET', mayHaveStarted: true });
		expect(sent).toHaveLength(1);
	});

	it('refuses a task id that no stop could name ("..") as a bad answer that may hide a task', async () => {
		const { client } = scripted({ httpStatus: 200, body: { status: 0, task_id: '..' } });
		await expect(client.start(input)).rejects.toMatchObject({ kind: 'bad_response', mayHaveStarted: true });
	});

	it('never shows the key or the callback secret, even when the API echoes them', async () => {
		const { client } = scripted({ httpStatus: 200, body: { status: -1, text: `bad key ${KEY} for callback-secret-0123456789` } });
		const error = (await client.start(input).catch((e: unknown) => e)) as MemoriesApiError;
		expect(JSON.stringify(error.toJSON())).not.toMatch(/sk-mai-client|callback-secret/);
	});
});

describe('stop', () => {
	it('retries with the documented back-off through the host’s sleep, and reads a lost answer’s retry right', async () => {
		const { client, sent, waits } = scripted({ errorCode: 'UND_ERR_HEADERS_TIMEOUT' }, { httpStatus: 200, body: { status: -1 } });
		expect(await client.stop(' task-1 ')).toEqual({ outcome: 'stopped', taskId: 'task-1' });
		expect(sent.map((r) => r.url)).toEqual(['http://127.0.0.1:4010/v1/understand/stop/task-1', 'http://127.0.0.1:4010/v1/understand/stop/task-1']);
		expect(waits).toEqual([1000]);
	});

	it('takes a shorter time-out and fewer attempts when asked', async () => {
		const { client, sent } = scripted({ httpStatus: 200, body: { status: 5000 } });
		await expect(client.stop('task-1', { attempts: 1, timeoutMs: 500 })).rejects.toMatchObject({ kind: 'server' });
		expect(sent.map((r) => r.timeoutMs)).toEqual([500]);
	});

	it.each([['..'], ['.'], ['a/b'], ['x'.repeat(129)]])('sends nothing for task id %p', async (taskId) => {
		const { client, sent } = scripted();
		await expect(client.stop(taskId)).rejects.toBeInstanceOf(InputError);
		expect(sent).toHaveLength(0);
	});
});

describe('a host that authenticates in its transport (n8n)', () => {
	it('sends no Authorization header and still keeps its secrets out of errors', async () => {
		const sent: ApiRequest[] = [];
		const client = createStreamClient({
			baseUrl: 'https://stream.memories.ai',
			secrets: [KEY],
			transport: async (request) => (sent.push(request), { httpStatus: 200, body: { status: -1, msg: `no ${KEY}` } }),
			sleep: async () => undefined,
			now: () => 0,
		});
		const error = (await client.start(input).catch((e: unknown) => e)) as MemoriesApiError;
		expect(sent[0].headers).not.toHaveProperty('Authorization');
		expect(error.message).toContain('[redacted]');
		expect(error.message).not.toContain(KEY);
	});
});
