// Secret leakage, last: the API keys and callback secrets are searched for in everything the
// suite made n8n write (database, logs, workflows, executions, static data) and in what reached
// the sink; they may only be where they belong.
import { record } from './support/host';
import { Secret, mask, searchForSecrets, summariseHits } from './support/leaks';
import { HOOKS, SANDBOXES, TOKENS, WF } from './support/setup';
import { shared, watchState } from './support/suite';

export function describeLeaks(): void {
	describe('secret leakage', () => {
		it('finds the API keys and callback secrets only where they belong', async () => {
			const secrets: Secret[] = Object.entries(SANDBOXES).map(([name, { key }]) => ({ kind: 'api_key', label: `API key ${name} (${mask(key)})`, value: key }));
			for (const [name, token] of Object.entries(TOKENS)) secrets.push({ kind: 'callback_token', label: `Callback Token ${name} (${mask(token)})`, value: token });
			const workflowOfHook = new Map(Object.entries(HOOKS).map(([name, hook]) => [hook, WF[name as keyof typeof WF]]));
			for (const sandbox of Object.values(shared.suite.sandboxes)) {
				for (const task of (sandbox.engine.state() as { tasks: Array<{ taskId: string; callback: string }> }).tasks) {
					const callback = new URL(task.callback);
					const token = callback.searchParams.get('token');
					const hook = callback.pathname.split('/')[2];
					if (!token || token === TOKENS.action) continue;
					secrets.push({ kind: 'watch_secret', label: `Watch secret of task ${task.taskId.slice(0, 8)} (${mask(token)})`, value: token, workflowId: workflowOfHook.get(hook) });
				}
			}
			// One Watch trigger active while searching: its secret must show up nowhere (its static data holds the digest).
			await shared.suite.host.api.activateWorkflow(WF.orphanWatch);
			const active = await watchState(WF.orphanWatch);
			secrets.push({ kind: 'watch_secret', label: `Watch secret of the active trigger (${mask(active.secret)})`, value: active.secret, workflowId: WF.orphanWatch });
			const report = await searchForSecrets(shared.suite.host.n8n, secrets, {
				'sink (node outputs and error items the workflows posted)': shared.suite.sink.received.map((r) => r.body),
				'error texts (error items, activation errors)': shared.errorTexts,
			});
			const findings = summariseHits(report.hits);
			record('leaks', { scope: report.scope, findings, illegitimate: report.illegitimate.length, note: 'watch secrets live only in the callback URLs given to the sandbox (outside n8n, legitimate); static data keeps their digest' });
			await shared.suite.host.api.deactivateWorkflow(WF.orphanWatch);
			expect(report.illegitimate).toEqual([]);
			// No Watch secret anywhere, not even the active trigger's in its static data; the search does find the tokens in their workflows.
			expect(report.hits.filter((h) => h.kind === 'watch_secret')).toEqual([]);
			expect(findings.some((f) => f.kind === 'callback_token' && f.legitimate)).toBe(true);
			expect(Object.values(shared.suite.sandboxes).every((s) => s.activeTasks().length === 0)).toBe(true);
		});
	});
}
