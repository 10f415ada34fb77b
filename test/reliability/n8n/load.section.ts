// Load on the n8n trigger: the highest sustained callback rate at which nothing is lost.
import { record } from './support/host';
import { loadLadder } from './support/load';
import { WF, HOOKS, TOKENS } from './support/setup';
import { ENGINE, shared, url } from './support/suite';

const LOAD_STEPS = (process.env.RELIABILITY_N8N_LOAD_STEPS ?? '10,25,50,100,200').split(',').map(Number);
const LOAD_SECONDS = Number(process.env.RELIABILITY_N8N_LOAD_SECONDS ?? 10);

export function describeLoad(): void {
	describe('load', () => {
		it('finds the highest sustained callback rate at which nothing is lost', async () => {
			await shared.suite.host.api.activateWorkflow(WF.loadReceive);
			const result = await loadLadder(shared.suite.host.n8n, { path: `${url(HOOKS.loadReceive)}?token=${TOKENS.loadReceive}`, sink: shared.suite.sink, sinkPath: '/load', workflowId: WF.loadReceive, rates: LOAD_STEPS, seconds: LOAD_SECONDS });
			await shared.suite.host.api.deactivateWorkflow(WF.loadReceive);
			record('load', { case: `${ENGINE} expression engine`, ...result });
			for (const step of result.steps) {
				// Never twice, and never lost once answered 200 (the sender was told it arrived).
				expect(step.duplicatesAtSink).toBe(0);
				expect(step.executions).toBeLessThanOrEqual(step.sent);
				expect(step.lostAfter200).toBe(0);
			}
			expect(result.highestRateWithoutLoss).toBeGreaterThanOrEqual(LOAD_STEPS[0]);
			expect(shared.suite.host.pid()).toBe(shared.pidAtStart);
		});
	});
}
