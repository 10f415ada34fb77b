// Orphaned streams in n8n: one task per activation, stopped on deactivation, and the same task
// kept (not a second one started) through an n8n restart.
import { record } from './support/host';
import { WF } from './support/setup';
import { shared, watchState } from './support/suite';

export function describeOrphans(): void {
	describe('orphans', () => {
		const CYCLES = Number(process.env.RELIABILITY_N8N_CYCLES ?? 20);
		const sandbox = () => shared.suite.sandboxes.quiet;
		const starts = () => (sandbox().engine.state() as { totals: { starts: number } }).totals.starts;

		it(`starts exactly one task per activation and stops it on deactivation, ${CYCLES} times`, async () => {
			const before = starts();
			const seen = new Set<string>();
			for (let cycle = 0; cycle < CYCLES; cycle++) {
				await shared.suite.host.api.activateWorkflow(WF.orphanWatch);
				const running = sandbox().activeTasks().map((t) => t.taskId);
				const state = await watchState(WF.orphanWatch);
				expect(running).toEqual([state.taskId]);
				expect(seen.has(state.taskId)).toBe(false);
				seen.add(state.taskId);
				await shared.suite.host.api.deactivateWorkflow(WF.orphanWatch);
				expect(sandbox().activeTasks()).toEqual([]);
				expect(sandbox().task(state.taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
			}
			expect(starts() - before).toBe(CYCLES);
			record('orphans', { case: 'activate/deactivate cycles', cycles: CYCLES, tasksStarted: starts() - before, distinctTasks: seen.size, runningAfter: sandbox().activeTasks().length });
		});

		it('keeps the same task through an n8n restart, then stops it; nothing is left running anywhere', async () => {
			await shared.suite.host.api.activateWorkflow(WF.orphanWatch);
			const before = starts();
			const { taskId } = await watchState(WF.orphanWatch);
			const pid = shared.suite.host.pid();
			await shared.suite.host.n8n.restart();
			expect(shared.suite.host.pid()).not.toBe(pid);
			expect(sandbox().activeTasks().map((t) => t.taskId)).toEqual([taskId]);
			expect((await watchState(WF.orphanWatch)).taskId).toBe(taskId);
			expect(starts()).toBe(before);
			await shared.suite.host.api.deactivateWorkflow(WF.orphanWatch);
			const leftover = Object.fromEntries(Object.entries(shared.suite.sandboxes).map(([name, s]) => [name, s.activeTasks().length]));
			record('orphans', { case: 'n8n restart while active', sameTaskAfterRestart: true, tasksStartedByRestart: starts() - before, runningAtEnd: leftover });
			expect(sandbox().task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
			expect(Object.values(leftover).every((n) => n === 0)).toBe(true);
		});
	});
}
