// The Node-RED package's stream client on its own (the core's client over the package's undici
// transport, as an account's start and stop nodes get it), against a stand-in that stops the
// task but loses the answer: the retry hears "not found", and that is a stop.
import http from 'http';
import { AddressInfo } from 'net';

import type { ConfigNode, NodeAPI } from '../../node-red/src/lib/red';
import { streamClientOf } from '../../node-red/src/lib/stream-client';
import { createUndiciTransport } from '../../node-red/src/lib/undici-transport';

/** An account's client as a start or stop node gets it, and its connection pool to close. */
function accountClient(baseUrl: string) {
	const transport = createUndiciTransport();
	const config = { baseUrl, credentials: { apiKey: 'sk-test-key-0001' }, transport: transport.send } as unknown as ConfigNode;
	const RED = { _: (key: string) => key } as unknown as NodeAPI;
	return { client: streamClientOf(RED, config), close: () => transport.close() };
}

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

describe('stop after a lost answer', () => {
	it('reports "stopped" when the retry hears "not found"', async () => {
		const api = await service(['drop', { status: -1, task_id: 'task-1' }]);
		const { client, close } = accountClient(api.url);
		try {
			expect(await client.stop('task-1', { attempts: 2 })).toEqual({ outcome: 'stopped', taskId: 'task-1' });
			expect(api.calls()).toBe(2);
		} finally {
			await close();
			await api.close();
		}
	});

	it('still reports "not found" when no earlier try can have reached the service', async () => {
		const api = await service([{ status: -1, task_id: 'task-2' }]);
		const { client, close } = accountClient(api.url);
		try {
			expect(await client.stop('task-2')).toEqual({ outcome: 'not_found', taskId: 'task-2' });
		} finally {
			await close();
			await api.close();
		}
	});

	it('still reports "not found" after a refusal (rate limit): nothing was done then', async () => {
		const api = await service([{ code: '0429', msg: 'Rate limited', data: null, success: false }, { status: -1, task_id: 'task-3' }]);
		const { client, close } = accountClient(api.url);
		try {
			expect(await client.stop('task-3', { attempts: 2 })).toEqual({ outcome: 'not_found', taskId: 'task-3' });
			expect(api.calls()).toBe(2);
		} finally {
			await close();
			await api.close();
		}
	});
});
