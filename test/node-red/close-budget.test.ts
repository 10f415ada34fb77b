// Stops made while a start node closes must end before Node-RED stops waiting for it (15 s).
import { CLOSE_BUDGET_MS, stopOptionsBefore } from '../../node-red/src/lib/close-budget';

const worstCase = ({ timeoutMs = 30000, attempts = 3 }: { timeoutMs?: number; attempts?: number }) =>
	timeoutMs * attempts + [1000, 2000].slice(0, attempts - 1).reduce((a, b) => a + b, 0);

describe('stopOptionsBefore', () => {
	it('two tries of 6 s (and the 1 s back-off) when the whole budget is left', () => {
		const options = stopOptionsBefore(1000 + CLOSE_BUDGET_MS, 1000);
		expect(options).toEqual({ timeoutMs: 6000, attempts: 2 });
		expect(worstCase(options)).toBeLessThanOrEqual(CLOSE_BUDGET_MS);
	});

	it.each([12000, 9000, 4000, 800, 100])('one try that ends in time when %i ms are left', (left) => {
		const options = stopOptionsBefore(left, 0);
		expect(options.attempts).toBe(1);
		expect(worstCase(options)).toBeLessThanOrEqual(Math.max(left, 500));
	});

	it('the client’s own retries once the close is over (Node-RED no longer waits; a redeploy goes on)', () => {
		expect(stopOptionsBefore(1000, 1000)).toEqual({});
		expect(stopOptionsBefore(1000, 5000)).toEqual({});
	});

	it('stays under Node-RED’s 15 s', () => {
		expect(CLOSE_BUDGET_MS).toBeLessThan(15000);
	});
});
