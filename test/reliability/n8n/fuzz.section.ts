// Fuzzed callbacks to two n8n triggers (Receive mode with a Callback Token, Watch mode with a
// stored secret) from the generator both hosts share: every malformed or unauthenticated request
// answered 4xx without an execution, every accepted one executed and delivered exactly once.
import { ExpectedResult, FuzzCase, FuzzTarget, leftOutFor, malformedCategoriesFor, planFuzz, resultKey } from '../support/fuzz';
import { record } from './support/host';
import { Answer, histogram, openPool, percentile, send, sendAll } from './support/send';
import { HOOKS, TOKENS, WF } from './support/setup';
import { CRASH, ENGINE, SEED, shared, sinkItems, url, watchState } from './support/suite';

const MALFORMED = Number(process.env.RELIABILITY_N8N_MALFORMED ?? 10_000);
/** An item's case: the marker that ends its text, or (a stream's end without text) its task, window and status. */
const keyOf = (r: ExpectedResult | Record<string, unknown>) => String(r.text).match(/#\d+-\d+$/)?.[0] ?? resultKey(r as ExpectedResult);
const resultOf = (c: FuzzCase) => (c.verdict.kind === 'accept' ? c.verdict.result : undefined)!;

export function describeFuzz(): void {
	describe('fuzzed callbacks', () => {
		let targets: FuzzTarget[];
		let cases: FuzzCase[];
		let answers: Answer[];
		let durationMs: number;

		beforeAll(async () => {
			await shared.suite.host.api.activateWorkflow(WF.fuzzReceive);
			await shared.suite.host.api.activateWorkflow(WF.fuzzWatch);
			const watch = await watchState(WF.fuzzWatch);
			targets = [
				{ name: 'receive', path: url(HOOKS.fuzzReceive), secret: TOKENS.fuzzReceive },
				{ name: 'watch', path: url(HOOKS.fuzzWatch), secret: watch.secret, taskId: watch.taskId },
			];
			const valid = Math.round(MALFORMED / 19);
			cases = planFuzz({ host: 'n8n', seed: SEED, malformed: MALFORMED, valid, replays: Math.round(valid / 10), targets, tag: 'n8n' }).cases;
			const pool = openPool(shared.suite.host.n8n.baseUrl, 16);
			const started = Date.now();
			answers = await sendAll(pool, cases, 16);
			durationMs = Date.now() - started;
			await pool.close();
		});

		it(`answers every one of ≥ ${MALFORMED} malformed or unauthenticated requests with a 4xx`, () => {
			const rejected = cases.filter((c) => c.verdict.kind === 'refuse');
			expect(rejected.length).toBeGreaterThanOrEqual(MALFORMED);
			const byCategory: Record<string, { count: number; statuses: Record<string, number>; variants: number }> = {};
			for (const c of rejected) {
				const entry = (byCategory[c.category] ??= { count: 0, statuses: {}, variants: 0 });
				entry.count++;
				const status = String(answers[c.n].status);
				entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
			}
			for (const category of Object.keys(byCategory)) {
				byCategory[category].variants = new Set(rejected.filter((c) => c.category === category).map((c) => c.variant)).size;
			}
			const not4xx = rejected.filter((c) => answers[c.n].status < 400 || answers[c.n].status > 499);
			const requests = cases.length;
			record('fuzz', {
				case: `${ENGINE} expression engine`,
				seed: SEED,
				requests,
				malformed: rejected.length,
				valid: cases.filter((c) => c.verdict.kind === 'accept').length,
				replays: cases.filter((c) => c.verdict.kind === 'replay').length,
				leftOut: leftOutFor('n8n'),
				targets: { receive: 'Receive mode, Callback Token, node version 1.1', watch: 'Watch mode, stored secret, node version 1' },
				malformedPerTarget: histogram(rejected.map((c) => c.target)),
				durationMs,
				requestsPerSecond: Math.round((requests / durationMs) * 1000),
				concurrency: 16,
				categories: Object.entries(byCategory).map(([category, c]) => ({ category, requests: c.count, variants: c.variants, answers: c.statuses })),
				statusHistogram: histogram(answers.map((a) => a.status)),
				malformedStatusHistogram: histogram(rejected.map((c) => answers[c.n].status)),
				malformedNot4xx: not4xx.slice(0, 20).map((c) => ({ n: c.n, category: c.category, variant: c.variant, status: answers[c.n].status, error: answers[c.n].error })),
				answerMs: { p50: Math.round(percentile(answers.map((a) => a.ms), 0.5)), p99: Math.round(percentile(answers.map((a) => a.ms), 0.99)) },
			});
			expect(Object.keys(byCategory).sort()).toEqual(malformedCategoriesFor('n8n').sort());
			expect(not4xx.map((c) => `${c.category}/${c.variant}: ${answers[c.n].status} ${answers[c.n].error ?? ''}`)).toEqual([]);
		});

		it('delivers every valid callback exactly once (execution and sink), and no replay twice', async () => {
			const valid = cases.filter((c) => c.verdict.kind === 'accept');
			const replays = cases.filter((c) => c.verdict.kind === 'replay');
			expect(valid.filter((c) => answers[c.n].status !== 200).map((c) => `${c.variant}: ${answers[c.n].status}`)).toEqual([]);
			expect(replays.filter((c) => answers[c.n].status !== 200)).toEqual([]);
			const figures: Record<string, unknown> = {};
			for (const target of targets) {
				const expected = valid.filter((c) => c.target === target.name);
				const workflowId = target.name === 'watch' ? WF.fuzzWatch : WF.fuzzReceive;
				await shared.suite.host.n8n.waitForExecutions(workflowId, expected.length, 120_000);
				const sinkPath = target.name === 'watch' ? '/fuzz-watch' : '/fuzz-receive';
				await shared.suite.sink.waitFor(expected.length, (r) => r.url === sinkPath, 60_000);
				const executions = await shared.suite.host.n8n.listExecutions(workflowId);
				const items = sinkItems(sinkPath);
				const markers = items.map(keyOf);
				figures[target.name] = {
					validSent: expected.length,
					executions: executions.length,
					errorExecutions: executions.filter((e) => e.status !== 'success').length,
					sinkArrivals: items.length,
					uniqueAtSink: new Set(markers).size,
				};
				expect(executions).toHaveLength(expected.length);
				expect(executions.every((e) => e.status === 'success' && e.mode === 'webhook')).toBe(true);
				expect(items).toHaveLength(expected.length);
				expect(new Set(markers).size).toBe(expected.length);
				expect(new Set(markers)).toEqual(new Set(expected.map((c) => keyOf(resultOf(c)))));
				// What arrived is what was sent: same task, the text intact (odd Unicode included), no pollution.
				const sent = new Map(expected.map((c) => [keyOf(resultOf(c)), c]));
				for (const item of items) {
					const result = resultOf(sent.get(keyOf(item))!);
					expect(item).toEqual({ ...result, event: result.ended ? 'stream_ended' : 'result' });
				}
			}
			record('fuzz', { case: 'valid callbacks: delivered exactly once', ...figures, replaysAnswered200: replays.length });
		});

		it('started no execution for any rejected request, and n8n neither crashed nor restarted', async () => {
			const all = await shared.suite.host.n8n.listExecutions();
			const valid = cases.filter((c) => c.verdict.kind === 'accept').length;
			expect(all.filter((e) => e.workflowId === WF.fuzzReceive || e.workflowId === WF.fuzzWatch)).toHaveLength(valid);
			expect(all.filter((e) => e.workflowId !== WF.fuzzReceive && e.workflowId !== WF.fuzzWatch)).toEqual([]);
			expect(shared.suite.host.pid()).toBe(shared.pidAtStart);
			expect(shared.suite.host.n8n.logs()).not.toMatch(CRASH);
			record('fuzz', { case: 'host after the fuzz', samePid: true, executionsOfOtherWorkflows: 0, crashLines: 0 });
		});

		it('answers what n8n itself handles before the node runs without an execution (reported, not 4xx)', async () => {
			const pool = openPool(shared.suite.host.n8n.baseUrl, 16);
			const query = `?token=${TOKENS.fuzzReceive}`;
			const body = JSON.stringify({ status: 0, task_id: 'host-level-1', data: { text: 'x', timestamp: '2025-01-01T00:00:00Z' } });
			const before = (await shared.suite.host.n8n.listExecutions(WF.fuzzReceive)).length;
			const observed = {
				'OPTIONS (CORS preflight, n8n)': (await send(pool, { method: 'OPTIONS', path: `${url(HOOKS.fuzzReceive)}${query}`, headers: {} })).status,
				'Content-Encoding: gzip on a plain body (n8n cannot inflate it)': (
					await send(pool, { method: 'POST', path: `${url(HOOKS.fuzzReceive)}${query}`, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body })
				).status,
			};
			// XML: n8n parses it itself with one shared asynchronous xml2js parser; under concurrency some
			// requests are never answered. Sent 16 at once with a 5 s patience: 4xx or no answer, never an execution.
			const xml = await Promise.all(
				Array.from({ length: 16 }, (_, i) =>
					send(
						pool,
						{
							method: 'POST',
							path: `${url(HOOKS.fuzzReceive)}${query}`,
							headers: { 'content-type': i % 2 ? 'application/xml' : 'text/xml' },
							body: i % 4 < 2 ? '<callback><status>0</status><task_id>x</task_id></callback>' : '<callback><status>0</status',
						},
						5000,
					),
				),
			);
			await pool.close();
			const xmlAnswers = histogram(xml.map((a) => (a.status === 0 ? `no answer in 5 s (${a.error})` : a.status)));
			record('fuzz', { case: 'answered by n8n itself before the trigger runs', observed, xmlBodies: xmlAnswers, note: 'answered (or not) by n8n before the trigger runs; no execution' });
			expect(observed['OPTIONS (CORS preflight, n8n)']).toBe(204);
			expect(observed['Content-Encoding: gzip on a plain body (n8n cannot inflate it)']).toBe(500);
			expect(xml.filter((a) => a.status !== 0 && (a.status < 400 || a.status > 499))).toEqual([]);
			expect((await shared.suite.host.n8n.listExecutions(WF.fuzzReceive)).length).toBe(before);
			expect(shared.suite.host.pid()).toBe(shared.pidAtStart);
		});

		it('refuses to activate a trigger whose filter could never work, instead of failing every callback', async () => {
			await expect(shared.suite.host.api.activateWorkflow(WF.badFilter)).rejects.toThrow(/did not activate/);
			const status = await shared.suite.host.api.publicationStatus(WF.badFilter);
			const message = status.triggers[0]?.errorMessage ?? '';
			shared.errorTexts.push(message);
			expect(message).toMatch(/Regular Expression is not valid/);
			await shared.suite.host.api.deactivateWorkflow(WF.badFilter).catch(() => undefined);
			expect(await shared.suite.host.n8n.listExecutions(WF.badFilter)).toEqual([]);
		});

		afterAll(async () => {
			await shared.suite.host.api.deactivateWorkflow(WF.fuzzWatch);
			await shared.suite.host.api.deactivateWorkflow(WF.fuzzReceive);
		});
	});
}
