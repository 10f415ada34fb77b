// Retries of idempotent calls (stop) with the documented back-off.
import { MemoriesApiError, backoffDelayMs, interpretRequestFailure, interpretStopResponse, retryIdempotent, retryStop } from '../../core';

describe('backoffDelayMs', () => {
	it('doubles from 1 s and stops at 32 s', () => {
		expect([0, 1, 2, 3, 4, 5, 6, 10].map(backoffDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000]);
	});
});

describe('retryIdempotent', () => {
	const retryable = () => interpretRequestFailure('stop', 'ECONNRESET');
	const final = () => {
		try {
			interpretStopResponse('t', { httpStatus: 401, body: { code: '0401' } });
		} catch (error) {
			return error as MemoriesApiError;
		}
		throw new Error('unreachable');
	};

	it('retries retryable failures with the documented back-off, then succeeds', async () => {
		const waits: number[] = [];
		let calls = 0;
		const result = await retryIdempotent(
			async () => {
				calls++;
				if (calls < 3) throw retryable();
				return 'stopped';
			},
			async (ms) => void waits.push(ms),
		);
		expect(result).toBe('stopped');
		expect(waits).toEqual([1000, 2000]);
	});

	it('gives up after maxAttempts with the last error', async () => {
		let calls = 0;
		await expect(
			retryIdempotent(async () => {
				calls++;
				throw retryable();
			}, async () => undefined, 4),
		).rejects.toMatchObject({ kind: 'network' });
		expect(calls).toBe(4);
	});

	it('does not retry errors that will not go away', async () => {
		let calls = 0;
		await expect(
			retryIdempotent(async () => {
				calls++;
				throw final();
			}, async () => undefined),
		).rejects.toMatchObject({ kind: 'auth' });
		expect(calls).toBe(1);
		await expect(retryIdempotent(async () => { throw new Error('bug'); }, async () => undefined)).rejects.toThrow('bug');
	});
});

describe('retryStop', () => {
	const noWait = async () => undefined;
	const notFound = (id: string) => interpretStopResponse(id, { httpStatus: 200, body: { status: -1 } });

	it('reports "stopped" when a retry hears "not found" after a try whose answer was lost', async () => {
		const tries = [() => Promise.reject(interpretRequestFailure('stop', 'UND_ERR_HEADERS_TIMEOUT')), async () => notFound('t1')];
		await expect(retryStop('t1', () => tries.shift()!(), noWait)).resolves.toEqual({ outcome: 'stopped', taskId: 't1' });
	});

	it('keeps "not found" when no earlier try can have reached the service', async () => {
		const tries = [() => Promise.reject(interpretRequestFailure('stop', 'ECONNREFUSED')), async () => notFound('t2')];
		await expect(retryStop('t2', () => tries.shift()!(), noWait)).resolves.toEqual({ outcome: 'not_found', taskId: 't2' });
		await expect(retryStop('t3', async () => notFound('t3'), noWait)).resolves.toEqual({ outcome: 'not_found', taskId: 't3' });
	});

	it('gives up after maxAttempts with the last error', async () => {
		let calls = 0;
		const failing = async () => {
			calls++;
			throw interpretRequestFailure('stop', 'ECONNRESET');
		};
		await expect(retryStop('t4', failing, noWait, 2)).rejects.toMatchObject({ kind: 'network' });
		expect(calls).toBe(2);
	});
});
