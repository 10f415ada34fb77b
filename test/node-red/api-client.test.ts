// The Node-RED package's API client on its own (node-red/dist, as installed), against a stand-in
// that stops the task but loses the answer: the retry hears "not found", and that is a stop.
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ApiClient } = require(path.resolve(__dirname, '../../node-red/dist/lib/api-client.js'));

/** Answers stops in turn with `answers`: 'drop' closes the connection unanswered. */
async function service(answers: Array<'drop' | object>) {
	let calls = 0;
	const server = http.createServer((req, res) => {
		const answer = answers[Math.min(calls++, answers.length - 1)];
		req.resume();
		if (answer === 'drop') {
			req.socket.destroy();
			return;
		}
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(answer));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		calls: () => calls,
		close: () => new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

describe('ApiClient.stop after a lost answer', () => {
	it('reports "stopped" when the retry hears "not found"', async () => {
		const api = await service(['drop', { status: -1, task_id: 'task-1' }]);
		const client = new ApiClient({ baseUrl: api.url, apiKey: 'sk-test-key-0001' });
		try {
			expect(await client.stop('task-1', { attempts: 2 })).toEqual({ outcome: 'stopped', taskId: 'task-1' });
			expect(api.calls()).toBe(2);
		} finally {
			await client.close();
			await api.close();
		}
	});

	it('still reports "not found" when no earlier try can have reached the service', async () => {
		const api = await service([{ status: -1, task_id: 'task-2' }]);
		const client = new ApiClient({ baseUrl: api.url, apiKey: 'sk-test-key-0001' });
		try {
			expect(await client.stop('task-2')).toEqual({ outcome: 'not_found', taskId: 'task-2' });
		} finally {
			await client.close();
			await api.close();
		}
	});

	it('still reports "not found" after a refusal (rate limit): nothing was done then', async () => {
		const api = await service([{ code: '0429', msg: 'Rate limited', data: null, success: false }, { status: -1, task_id: 'task-3' }]);
		const client = new ApiClient({ baseUrl: api.url, apiKey: 'sk-test-key-0001' });
		try {
			expect(await client.stop('task-3', { attempts: 2 })).toEqual({ outcome: 'not_found', taskId: 'task-3' });
			expect(api.calls()).toBe(2);
		} finally {
			await client.close();
			await api.close();
		}
	});
});
