'use strict';
// `npm run test:reliability`: the reliability and security suite against real hosts (jest project
// "reliability"), then RELIABILITY.md regenerated from the figures the tests recorded in
// build/reliability/results.jsonl. Exits with jest's status: a failed requirement fails CI.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const results = process.env.RELIABILITY_RESULTS || path.join(root, 'build/reliability/results.jsonl');
const report = path.join(root, 'RELIABILITY.md');

const TITLES = {
	fuzz: 'Fuzzed callbacks',
	variants: 'Variants of the service',
	'api-faults': 'API faults on start and stop',
	orphans: 'Orphaned streams',
	load: 'Load',
	leaks: 'Secret leakage',
	queue: 'n8n queue mode (npm run test:e2e:n8n:queue)',
};

/** `orphans-redeploys` belongs under Orphaned streams, `api-faults-tasks` under API faults. */
const groupOf = (section) => Object.keys(TITLES).find((g) => section === g || section.startsWith(`${g}-`)) ?? section;

/** What a record is about, for its heading. */
function labelOf(record) {
	const parts = [];
	if (record.section !== groupOf(record.section)) parts.push(record.section.slice(groupOf(record.section).length + 1).replace(/-/g, ' '));
	if (record.case) parts.push(record.case);
	else if (record.test) parts.push(record.test);
	else if (record.nodeRed) parts.push(`Node-RED ${record.nodeRed}${record.editorApiAt ? `, editor API at ${record.editorApiAt}` : ''}`);
	if (record.on) parts.push(`on ${record.on}`);
	return parts.join(' — ');
}

const sum = (values) => values.reduce((a, b) => a + (Number(b) || 0), 0);
const count = (value) => (Array.isArray(value) ? value.length : Number(value) || 0);

/** The issue's requirements, each with the figures of this run that answer it. */
function summary(records) {
	const of = (section, host) => records.filter((r) => r.section === section && (!host || r.host === host));
	const rows = [];
	const add = (requirement, host, figure) => rows.push(`| ${requirement} | ${host} | ${cell(figure)} |`);
	for (const r of of('fuzz', 'node-red')) {
		add('Fuzz: malformed all 4xx, none in the flow; valid delivered once', `Node-RED ${r.nodeRed}, editor at ${r.editorApiAt}`,
			`${r.malformed} malformed: ${r.malformedNot4xx} not 4xx, ${r.malformedReachedFlow} reached the flow; valid ${r.validDelivered}/${r.validSent} delivered, ${r.validDuplicated} duplicated`);
	}
	for (const r of of('fuzz', 'n8n').filter((x) => typeof x.malformed === 'number')) {
		add('Fuzz: malformed all 4xx, none starts an execution', `n8n, ${r.case}`, `${r.malformed} malformed of ${r.requests} requests: ${count(r.malformedNot4xx)} not 4xx${r.executions !== undefined ? `; valid ${r.executions}/${r.valid} executed` : ''}`);
	}
	for (const r of of('fuzz', 'n8n').filter((x) => x.receive && x.watch)) {
		add('Fuzz: valid callbacks delivered once', 'n8n', `${r.receive.uniqueAtSink + r.watch.uniqueAtSink}/${r.receive.validSent + r.watch.validSent} at the sink, ${r.receive.sinkArrivals + r.watch.sinkArrivals - r.receive.uniqueAtSink - r.watch.uniqueAtSink} duplicated`);
	}
	for (const r of of('fuzz', 'n8n').filter((x) => x.samePid !== undefined)) add('Fuzz: no crash or restart', 'n8n', `same process: ${r.samePid}, crash lines: ${r.crashLines}`);
	for (const r of of('api-faults-tasks', 'node-red')) add('API faults: host keeps running, no duplicate task', 'Node-RED', `same process: ${r.nodeRedPidUnchanged}; sandbox ${JSON.stringify(r.sandbox)}`);
	for (const r of of('api-faults', 'n8n').filter((x) => x.faults)) add('API faults: typed error, host keeps running', 'n8n', `${r.faults.length} fault cases; same process: ${r.samePid}`);
	for (const r of of('api-faults', 'node-red').filter((x) => x.faults)) add('API faults: typed error at a Catch node', 'Node-RED', `${r.faults.length} fault cases`);
	for (const r of of('orphans-redeploys')) add('Orphans: redeploys leave no task', 'Node-RED', `${r.redeploys} redeploys, ${r.streamsStarted} streams started, ${r.sandboxStops} stopped, ${r.secondStops} stopped twice, ${r.runningAfter} left running`);
	for (const r of of('orphans-shutdown')) add('Orphans: shutdown leaves no task', 'Node-RED', `${r.streamsRunningAtShutdown} running at shutdown, ${r.runningAfter} left running`);
	for (const r of of('orphans', 'n8n')) {
		if (r.cycles !== undefined) add('Orphans: activate/deactivate cycles leave no task', 'n8n', `${r.cycles} cycles, ${r.distinctTasks} tasks (one per activation), ${r.runningAfter} left running`);
		if (r.tasksStartedByRestart !== undefined) add('Orphans: a restart starts no second task', 'n8n', `same task after restart: ${r.sameTaskAfterRestart}, tasks started by the restart: ${r.tasksStartedByRestart}, left running at the end: ${sum(Object.values(r.runningAtEnd ?? {}))}`);
	}
	for (const r of of('load', 'node-red')) add('Load: 10,000 at ≈500/s, 0 lost, 0 duplicated', 'Node-RED', `${r.callbacks} at ${r.achievedRatePerSecond}/s: ${r.lost} lost, ${r.duplicated} duplicated, answer p99 ${r.latencyMs?.p99} ms`);
	for (const r of of('load', 'n8n')) add('Load: sustained rate with nothing lost', `n8n, ${r.case}`, `${r.sustainedRate}/s sustained (executions keep up); highest offered rate without loss ${r.highestRateWithoutLoss}/s`);
	for (const r of [...of('variants-deliveries', 'node-red'), ...of('variants-deliveries', 'n8n')]) {
		add('Variants: every delivery variant read, none refused, each emitted once as sent (times in UTC)', r.host === 'n8n' ? 'n8n' : `Node-RED ${r.nodeRed}`,
			`${r.callbacks} callbacks (${r.variantsCovered} variants, mixes of up to 4) with the host in ${r.hostTimeZone}: ${r.refused} refused, ${r.emitted} emitted, ${r.emittedNotAsSent} not as sent`);
	}
	for (const r of [...of('variants-redirects', 'node-red'), ...of('variants-redirects', 'n8n')]) {
		add('Variants: a redirect is an error, the key never leaves the Base URL', r.host === 'n8n' ? 'n8n' : `Node-RED ${r.nodeRed}`, `${r.cases} redirect cases: ${r.foreignRequests} requests reached the other origin (${r.foreignWithKey} with a key), ${r.tasksLeftRunning ?? 0} tasks left running`);
	}
	for (const r of [...of('variants-retry-after', 'node-red'), ...of('variants-retry-after', 'n8n')]) {
		add('Variants: Retry-After honoured within the budget', r.host === 'n8n' ? 'n8n' : `Node-RED ${r.nodeRed}`, (r.table ?? []).map((row) => `${row.retryAfterS} s (${row.form}${row.where ? `, ${row.where}` : ''}): waited ${row.waitedMs} ms, ${row.outcome ?? (row.stopped ? 'stopped' : 'not stopped')}`).join('; '));
	}
	for (const r of of('variants-lost-starts', 'node-red')) add('Variants: hidden tasks of lost starts stopped', `Node-RED ${r.nodeRed}`, `${r.lostStarts} lost starts, ${r.hiddenTasks} hidden tasks, ${r.stoppedByTheirFirstResult} stopped by their first result, ${r.resultsReachingTheFlow} results in the flow, ${r.runningAfter} left running`);
	for (const r of of('variants-lost-starts', 'n8n')) add('Variants: lost start answers at activation leave at most one task', 'n8n', `${r.sequences} sequences, at most ${r.maxRunningAfterwards} task running afterwards`);
	for (const r of of('queue', 'n8n')) add('Queue mode: the suite within CI\'s time and memory', `n8n, ${r.layout}`, `${Math.round(r.suiteMs / 1000)} s, peak ${r.peakRssMiB} MiB RSS (${r.peakPssMiB} MiB PSS) for all processes`);
	for (const r of of('queue-watch', 'n8n')) add('Queue mode: every callback answered 200 executed once', 'n8n', `${r.answered200} answered 200: ${r.executedOnce} executed once, ${r.executedMoreThanOnce} more than once, ${r.answered200NotExecuted} not at all`);
	for (const r of of('queue-duplicates', 'n8n')) {
		const [rr, pinned] = [r.sandboxDuplicatesRoundRobin, r.sandboxDuplicatesPinnedToOneProcessor];
		if (rr && pinned) add('Queue mode: duplicates bounded per processor, exact when pinned', 'n8n', `${rr.duplicatedCallbacks} duplicated callbacks: ${rr.executions} executions round-robin, ${pinned.executions} of ${pinned.duplicatedCallbacks} pinned`);
	}
	for (const r of of('queue-only-on-change', 'n8n')) {
		const rows = r.sequences ?? [];
		const tally = (routing) => rows.filter((x) => x.routing === routing).reduce((t, x) => ({ extra: t.extra + x.extra, lost: t.lost + x.lost }), { extra: 0, lost: 0 });
		add('Queue mode: "only on change" bounded per processor, exact when pinned', 'n8n', `round-robin ${JSON.stringify(tally('round-robin'))}, pinned ${JSON.stringify(tally('pinned'))} (extra / lost emits)`);
	}
	for (const r of of('queue-episodes', 'n8n')) {
		add('Queue mode: episodes bounded per processor, exact when pinned', 'n8n', (r.runs ?? []).map((x) => `${x.routing}: ${x.emitted.started} started / ${x.emitted.ended} ended for ${x.realEpisodes} real episodes`).join('; '));
	}
	for (const r of [...of('queue-max-duration', 'n8n'), ...of('queue-stop-after', 'n8n')]) add('Queue mode: Stop After stops once, one stream-ended item', `n8n, ${r.case}`, `${r.streamsStopped} stopped, ${r.stopRequests} stop requests, stream-ended items: ${r.streamEndedItems}`);
	for (const r of of('queue-lost-start', 'n8n')) add('Queue mode: a lost start answer leaves one task, the recorded one', 'n8n', `${r.tasksStarted} started, ${r.stoppedAsHidden} stopped as hidden, ${r.runningAfter} running; settled ${r.settledMs} ms after the activation began`);
	const leaks = of('leaks');
	const n8nLeaks = leaks.filter((r) => r.host === 'n8n');
	if (n8nLeaks.length) add('Secrets: 0 hits where they do not belong', 'n8n', `${sum(n8nLeaks.map((r) => r.illegitimate))} illegitimate hits`);
	const redLeaks = leaks.filter((r) => r.host === 'node-red');
	if (redLeaks.length) add('Secrets: 0 hits where they do not belong', 'Node-RED', `${sum(redLeaks.map((r) => r.hits))} hits in ${redLeaks.length} searches`);
	return ['| requirement | host | this run |', '|---|---|---|', ...rows].join('\n');
}

/**
 * Both hosts' fuzz runs by category: one generator (test/reliability/support/fuzz) gives both the
 * same categories; what each answered, summed over its runs.
 */
function fuzzCategories(records) {
	const byCategory = new Map();
	const add = (host, category, requests, answers) => {
		const row = byCategory.get(category) ?? { 'node-red': { requests: 0, answers: {} }, n8n: { requests: 0, answers: {} } };
		row[host].requests += requests;
		for (const [status, n] of Object.entries(answers)) row[host].answers[status] = (row[host].answers[status] ?? 0) + n;
		byCategory.set(category, row);
	};
	for (const r of records.filter((x) => x.section === 'fuzz' && x.host === 'node-red' && x.statusHistogram)) {
		for (const [category, answers] of Object.entries(r.statusHistogram)) add('node-red', category, sum(Object.values(answers)), answers);
	}
	for (const r of records.filter((x) => x.section === 'fuzz' && x.host === 'n8n' && Array.isArray(x.categories))) {
		for (const c of r.categories) add('n8n', c.category, c.requests, c.answers);
	}
	if (byCategory.size === 0) return '';
	const answers = (a) => Object.entries(a).sort().map(([status, n]) => `${status}×${n}`).join(' ');
	const rows = [...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([category, row]) =>
		`| ${category} | ${row['node-red'].requests || ''} | ${answers(row['node-red'].answers)} | ${row.n8n.requests || ''} | ${answers(row.n8n.answers)} |`);
	return [
		'### Fuzz categories, both hosts',
		'',
		'One generator (`test/reliability/support/fuzz`) plans both hosts\' requests: the same categories and shapes, each with',
		'its verdict. n8n\'s malformed categories count only the refused shapes (valid and replays are in its own tables).',
		'',
		'| category | Node-RED requests | Node-RED answers | n8n requests | n8n answers |',
		'|---|---|---|---|---|',
		...rows,
	].join('\n');
}

function cell(value) {
	if (value === null || value === undefined) return '';
	if (typeof value === 'object') return `\`${JSON.stringify(value)}\``.replace(/\|/g, '\\|');
	return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Scalars as a two-column table; arrays of objects as tables of their own. */
function render(record) {
	const { section, host, at, ...data } = record;
	const lines = [];
	const scalars = Object.entries(data).filter(([, v]) => !(Array.isArray(v) && v.length > 0 && typeof v[0] === 'object'));
	if (scalars.length > 0) {
		lines.push('| figure | value |', '|---|---|');
		for (const [key, value] of scalars) lines.push(`| ${key} | ${cell(value)} |`);
	}
	for (const [key, rows] of Object.entries(data).filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object')) {
		const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
		lines.push('', `**${key}**`, '', `| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`);
		for (const row of rows) lines.push(`| ${columns.map((c) => cell(row[c])).join(' | ')} |`);
	}
	return lines.join('\n');
}

function writeReport(status) {
	const records = fs.existsSync(results)
		? fs.readFileSync(results, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
		: [];
	const versions = records.filter((r) => r.section === 'versions' || r.section === 'host');
	const out = [
		'# Reliability and security',
		'',
		'Regenerated by `npm run test:reliability` (the jest project `reliability`, real hosts with the packed',
		'packages, against the sandbox). Every figure below comes from the run that wrote this file.',
		'',
		`- Date: ${records.at(-1)?.at ?? new Date().toISOString()} (end of the run)`,
		`- Result: ${status === 0 ? 'all requirements met' : `FAILED (jest exit ${status})`}`,
		`- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; test runner on Node ${process.version}`,
	];
	const nodeReds = [...new Set(records.filter((r) => r.host === 'node-red' && r.nodeRed).map((r) => `${r.nodeRed} on Node ${r.node}`))];
	if (nodeReds.length > 0) out.push(`- Node-RED: ${nodeReds.join('; ')}`);
	for (const v of versions) out.push(`- ${v.host}: ${Object.entries(v).filter(([k]) => !['section', 'host', 'at'].includes(k)).map(([k, val]) => `${k} ${cell(val)}`).join(', ')}`);
	let table;
	try {
		table = summary(records);
	} catch (error) {
		// A record of an unexpected shape must not fail the suite: the tables below still have it all.
		table = `(no summary: ${error.message})`;
		process.stderr.write(`RELIABILITY.md summary failed: ${error.stack}\n`);
	}
	out.push('', '## Summary', '', table);
	const categories = fuzzCategories(records);
	if (categories) out.push('', categories);
	const hosts = [...new Set(records.map((r) => r.host))];
	const groups = [...new Set([...Object.keys(TITLES), ...records.map((r) => groupOf(r.section))])].filter((g) => g !== 'versions' && g !== 'host');
	for (const group of groups) {
		const forGroup = records.filter((r) => groupOf(r.section) === group);
		if (forGroup.length === 0) continue;
		out.push('', `## ${TITLES[group] ?? group}`);
		for (const host of hosts) {
			for (const record of forGroup.filter((r) => r.host === host)) {
				const label = labelOf(record);
				out.push('', `### ${host}${label ? ` — ${label}` : ''}`, '', render(record));
			}
		}
	}
	fs.writeFileSync(report, `${out.join('\n')}\n`);
	process.stdout.write(`wrote ${path.relative(root, report)} from ${records.length} records\n`);
}

const statusFile = `${results}.status`;
if (process.argv.includes('--report-only')) {
	// Rewrites RELIABILITY.md from the last run's records (after a change to this report's layout).
	writeReport(Number(fs.readFileSync(statusFile, 'utf8')));
	process.exit(0);
}
fs.rmSync(results, { force: true });
const jest = spawnSync(
	process.execPath,
	[require.resolve('jest/bin/jest'), '--selectProjects', 'reliability', '--runInBand', ...process.argv.slice(2)],
	{ cwd: root, stdio: 'inherit', env: { ...process.env, RELIABILITY_RESULTS: results } },
);
const status = jest.status ?? 1;
fs.mkdirSync(path.dirname(statusFile), { recursive: true });
fs.writeFileSync(statusFile, String(status));
writeReport(status);
process.exit(status);
