'use strict';
// A real n8n in queue mode for end-to-end tests: PostgreSQL and Redis (Debian's) in temp folders, `n8n start` (main,
// EXECUTIONS_MODE=queue, DB_TYPE=postgresdb), N `n8n webhook` processors and M `n8n worker`s, and a round-robin load
// balancer (balancer.js) in front: production webhook paths go to the webhook processors, everything else to main.
// Each n8n process has its own user folder, as on its own machine, sharing the database, Redis and the encryption
// key; our package is installed in main's folder by n8n's community-package installer (n8n-host.js) and the
// resulting nodes folder copied to the others (as a deployment image would carry it). Every process leads its own
// process group behind host-base's watchdog: stop() takes it all down and removes the folders, and so does the
// watchdog when this process dies. Figures: start-up time per phase and peak memory of all processes.
//
//   const queue = require('./scripts/lib/n8n-queue-host');
//   const n8n = await queue.startQueueN8n({ packageDirs: [tarball], webhookProcessors: 2, workers: 1 });
//   try {
//     await n8n.cli(['import:workflow', `--input=${file}`]);
//     const api = await n8n.createOwnerAndApiKey();              // through the balancer, to main
//     await api.activateWorkflow('wf1');
//     await fetch(n8n.webhookUrl('abc/results?token=…'), …);      // through the balancer, round-robin
//     await n8n.waitForExecutions('wf1', 1);                       // counted in Postgres
//     await n8n.webhooks[0].stop({ signal: 'SIGKILL' });           // a webhook processor dies
//   } finally { await n8n.stop(); }

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const base = require('./host-base');
const host = require('./n8n-host');
const { freePorts } = require('./ports');
const { startPostgres } = require('./postgres');
const { startRedis } = require('./redis');
const { startBalancer } = require('./balancer');
const { startMemorySampler } = require('./process-memory');
const { startService } = require('./service');

const log = base.logger('n8n-queue');
const { sleep } = base;

// Active workflows whose triggers are not settled yet (n8n-host's query, in Postgres' dialect).
const UNSETTLED_SQL = `SELECT w.id FROM workflow_entity w
WHERE w."activeVersionId" IS NOT NULL AND w."isArchived" = false AND (
  EXISTS (SELECT 1 FROM workflow_publication_outbox o WHERE o."workflowId" = w.id AND o.status IN ('pending', 'in_progress'))
  OR NOT EXISTS (SELECT 1 FROM workflow_publication_trigger_status t WHERE t."workflowId" = w.id AND t."versionId" = w."activeVersionId"))`;

/** What each role prints once it serves (after which its readiness endpoint must answer 200). */
const READY_LINE = {
	main: 'Editor is now accessible via',
	webhook: 'Webhook listener waiting for requests.',
	worker: 'n8n worker is now ready',
};

/**
 * @typedef {'main' | 'webhook' | 'worker'} Role
 * @typedef {object} QueueProcess one n8n process of the deployment
 * @property {string} name main, webhook-1, webhook-2, worker-1 …
 * @property {Role} role
 * @property {number} port its HTTP port (main: editor and API; webhook: webhooks; worker: health check)
 * @property {string} url http://127.0.0.1:<port>
 * @property {string} userFolder
 * @property {() => string} logs everything it printed, all of its runs
 * @property {() => number | undefined} pid the n8n process (not its watchdog) while it runs
 * @property {() => number | undefined} pgid its process group while it runs
 * @property {() => boolean} running
 * @property {() => Promise<number>} start starts it again on the same port (after stop); resolves with the start-up time in ms
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<void>} stop SIGTERM (graceful) unless told otherwise (SIGKILL: a crash); waits until its group is gone
 * @property {(opts?: { signal?: NodeJS.Signals }) => Promise<number>} restart
 */

/**
 * @param {{
 *   packageDirs?: string[],       // `npm pack` tarballs installed as community packages
 *   webhookProcessors?: number,   // `n8n webhook` processes behind the balancer (default 2)
 *   workers?: number,             // `n8n worker` processes (default 1)
 *   workerConcurrency?: number,   // executions per worker (n8n's default: 10)
 *   env?: Record<string, string | undefined>,  // extra env for every n8n process (undefined removes a variable)
 *   version?: string,
 *   label?: Parameters<typeof startBalancer>[0]['label'],  // tags the balancer's log entries
 *   readyTimeoutMs?: number,      // per process
 *   onOutput?: (name: string, text: string) => void,
 * }} [opts]
 */
async function startQueueN8n(opts = {}) {
	const { packageDirs = [], webhookProcessors = 2, workers = 1, env = {}, readyTimeoutMs = 240_000 } = opts;
	const started = Date.now();
	const paths = await host.ensureN8n({ version: opts.version });
	/** @type {Record<string, number>} */
	const startupMs = {};
	const phase = async (/** @type {string} */ name, /** @type {() => Promise<any>} */ fn) => {
		const t = Date.now();
		const result = await fn();
		startupMs[name] = Date.now() - t;
		return result;
	};
	/** @type {Array<() => Promise<void>>} undo steps, last first */
	const cleanup = [];
	const teardown = async () => {
		for (const step of cleanup.splice(0).reverse()) await step().catch((error) => log(`cleanup: ${error.message}`));
	};
	const sampler = startMemorySampler();
	cleanup.push(async () => sampler.stop());
	try {
		const [pg, redis] = await phase('postgresAndRedis', () =>
			Promise.all([startPostgres({ database: 'n8n' }), startRedis()]),
		);
		cleanup.push(() => pg.stop(), () => redis.stop());
		sampler.add('postgres', () => pg.process.pgid);
		sampler.add('redis', () => redis.process.pgid);

		const names = [
			{ name: 'main', role: /** @type {Role} */ ('main') },
			...Array.from({ length: webhookProcessors }, (_, i) => ({ name: `webhook-${i + 1}`, role: /** @type {Role} */ ('webhook') })),
			...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: /** @type {Role} */ ('worker') })),
		];
		const ports = await freePorts(names.length * 2);
		const at = (/** @type {number} */ i) => `http://127.0.0.1:${ports[i * 2]}`;
		const webhookUrls = names.map((n, i) => (n.role === 'webhook' ? at(i) : '')).filter(Boolean);
		const balancer = await startBalancer({ main: at(0), webhooks: webhookUrls, label: opts.label });
		cleanup.push(() => balancer.close());

		// One deployment's settings, shared by every process (as a compose file or Helm values would hold them).
		const deployment = {
			EXECUTIONS_MODE: 'queue',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: pg.host,
			DB_POSTGRESDB_PORT: String(pg.port),
			DB_POSTGRESDB_DATABASE: pg.database,
			DB_POSTGRESDB_USER: pg.user,
			DB_POSTGRESDB_POOL_SIZE: '4',
			QUEUE_BULL_REDIS_HOST: redis.host,
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			N8N_ENCRYPTION_KEY: crypto.randomBytes(24).toString('base64url'),
			// The public URL is the load balancer's: webhook URLs (our trigger's callback URL) point at it.
			N8N_WEBHOOK_URL: `${balancer.url}/`,
			N8N_EDITOR_BASE_URL: `${balancer.url}/`,
			N8N_PROXY_HOPS: '1',
			// Production webhooks only on the webhook processors, as n8n's queue-mode guide sets it up.
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			...(opts.workerConcurrency ? { N8N_CONCURRENCY_PRODUCTION_LIMIT: String(opts.workerConcurrency) } : {}),
			...env,
		};
		/** @param {number} i */
		const envOf = (i, /** @type {string} */ userFolder) => {
			const port = ports[i * 2];
			return host.n8nEnv({
				paths,
				userFolder,
				port,
				brokerPort: ports[i * 2 + 1],
				env: { ...deployment, QUEUE_HEALTH_CHECK_PORT: String(port) },
			});
		};

		const folders = names.map((n) => fs.mkdtempSync(path.join(os.tmpdir(), `n8n-queue-${n.name}-`)));
		cleanup.push(async () => {
			for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
		});
		await phase('installPackage', async () => {
			for (const tarball of packageDirs) await host.installCommunityPackage(folders[0], tarball, { paths });
			const nodes = path.join(folders[0], '.n8n', 'nodes');
			if (fs.existsSync(nodes)) {
				for (const folder of folders.slice(1)) fs.cpSync(nodes, path.join(folder, '.n8n', 'nodes'), { recursive: true });
			}
		});

		/** @type {QueueProcess[]} */
		const processes = names.map((n, i) => queueProcess({ ...n, port: ports[i * 2], userFolder: folders[i], env: envOf(i, folders[i]), paths, readyTimeoutMs, onOutput: opts.onOutput }));
		for (const p of processes) sampler.add(p.name, p.pgid);
		cleanup.push(async () => {
			// Webhook processors and workers first (they report to main and the database), then main.
			await Promise.all(processes.filter((p) => p.role !== 'main').map((p) => p.stop()));
			await processes[0].stop();
		});
		const [main] = processes;
		// Main first: it runs the database migrations the others expect.
		startupMs.main = await main.start();
		const others = processes.slice(1);
		const times = await phase('webhooksAndWorkers', () => Promise.all(others.map((p) => p.start())));
		others.forEach((p, i) => (startupMs[p.name] = times[i]));

		const sql = pg.query;
		/** @param {number} [timeoutMs] */
		const waitForActivations = async (timeoutMs = 60_000) => {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const pending = await sql(UNSETTLED_SQL);
				if (pending.length === 0) return;
				if (Date.now() > deadline) throw new Error(`workflow activation not settled: ${pending.map((r) => r.id).join(', ')}`);
				await sleep(250);
			}
		};
		await waitForActivations();
		startupMs.total = Date.now() - started;
		log(
			`ready in ${(startupMs.total / 1000).toFixed(1)} s (${Object.entries(startupMs)
				.filter(([k]) => k !== 'total')
				.map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
				.join(', ')}); balancer ${balancer.url}`,
		);

		/** @param {string} [workflowId] @returns {Promise<host.ExecutionRow[]>} */
		const listExecutions = (workflowId) =>
			/** @type {any} */ (
				sql(
					`SELECT id::text AS id, "workflowId", mode, status, finished, "startedAt", "stoppedAt" FROM execution_entity
					 WHERE "deletedAt" IS NULL ${workflowId ? 'AND "workflowId" = $1' : ''} ORDER BY id`,
					workflowId ? [workflowId] : [],
				)
			);
		const instance = {
			/** The load balancer's URL: the deployment's public URL (editor and API go to main). */
			baseUrl: balancer.url,
			balancer,
			postgres: pg,
			redis,
			paths,
			processes,
			main,
			webhooks: processes.filter((p) => p.role === 'webhook'),
			workers: processes.filter((p) => p.role === 'worker'),
			/** Start-up time per phase and process, ms. */
			startupMs,
			/** Peak memory of every process of the deployment (postgres, redis and each n8n group), sampled each second. */
			memory: () => sampler.figures(),
			/** Every process' output, each line prefixed with its name (for leak searches and failure reports). */
			logs: () =>
				[
					...processes.map((p) => ({ name: p.name, text: p.logs() })),
					{ name: 'postgres', text: pg.logs() },
					{ name: 'redis', text: redis.logs() },
				]
					.map(({ name, text }) => `----- ${name} -----\n${text}`)
					.join('\n'),
			/** Files n8n wrote into the user folders that are logs (the event bus' n8nEventLog*.log), with their text. */
			logFiles: () =>
				folders.flatMap((folder) => {
					const dir = path.join(folder, '.n8n');
					if (!fs.existsSync(dir)) return [];
					return fs
						.readdirSync(dir)
						.filter((f) => f.endsWith('.log'))
						.map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
				}),
			sql,
			waitForActivations,
			listExecutions,
			/** Each execution of a workflow with its stored run data (n8n's flatted JSON, as text). */
			executionData: (/** @type {string} */ workflowId) =>
				sql(
					`SELECT e.id::text AS id, e.status, e.mode, d.data FROM execution_entity e JOIN execution_data d ON d."executionId" = e.id
					 WHERE e."workflowId" = $1 AND e."deletedAt" IS NULL ORDER BY e.id`,
					[workflowId],
				),
			/** @param {string} workflowId @param {number} count @param {number} [timeoutMs] until >= count executions have finished */
			async waitForExecutions(workflowId, count, timeoutMs = 60_000) {
				const deadline = Date.now() + timeoutMs;
				for (;;) {
					const rows = (await listExecutions(workflowId)).filter((r) => r.stoppedAt);
					if (rows.length >= count) return rows;
					if (Date.now() > deadline) throw new Error(`workflow ${workflowId}: ${rows.length} finished executions, wanted ${count}`);
					await sleep(250);
				}
			},
			/** Resolves once no execution of the workflow is waiting or running (the queue drained). */
			async waitForIdle(/** @type {string} */ workflowId, timeoutMs = 60_000) {
				const deadline = Date.now() + timeoutMs;
				for (;;) {
					const rows = await listExecutions(workflowId);
					const busy = rows.filter((r) => !r.stoppedAt && ['new', 'running', 'waiting'].includes(r.status));
					if (busy.length === 0) return rows;
					if (Date.now() > deadline) throw new Error(`workflow ${workflowId}: ${busy.length} executions not finished`);
					await sleep(250);
				}
			},
			async staticData(/** @type {string} */ workflowId) {
				const [row] = await sql('SELECT "staticData" AS s FROM workflow_entity WHERE id = $1', [workflowId]);
				return typeof row?.s === 'string' ? JSON.parse(row.s) : (row?.s ?? null);
			},
			webhookRows: (/** @type {string} */ workflowId) => sql('SELECT * FROM webhook_entity WHERE "workflowId" = $1', [workflowId]),
			/** Production URL of a webhook path through the balancer, or directly on webhook processor `on` (0-based). */
			webhookUrl: (/** @type {string} */ webhookPath, /** @type {{ on?: number }} */ { on } = {}) =>
				`${on === undefined ? balancer.url : processes.filter((p) => p.role === 'webhook')[on].url}/webhook/${webhookPath.replace(/^\//, '')}`,
			/** An n8n CLI command against the deployment's database (main's user folder). */
			cli: (/** @type {string[]} */ args, /** @type {{ timeoutMs?: number }} */ o = {}) =>
				host.n8nCli(args, { userFolder: folders[0], version: paths.version, env: deployment, ...o }),
			createOwnerAndApiKey: (/** @type {{ email?: string, password?: string }} */ o) => host.createOwnerAndApiKey(/** @type {any} */ ({ baseUrl: balancer.url }), o),
			/** Stops every process, removes every folder; idempotent. Resolves with the memory figures. */
			async stop() {
				const figures = sampler.figures();
				await teardown();
				return figures;
			},
		};
		return instance;
	} catch (error) {
		await teardown();
		throw error;
	}
}

/**
 * @param {{ name: string, role: Role, port: number, userFolder: string, env: NodeJS.ProcessEnv, paths: host.N8nPaths, readyTimeoutMs: number,
 *   onOutput?: (name: string, text: string) => void }} o
 * @returns {QueueProcess}
 */
function queueProcess(o) {
	const url = `http://127.0.0.1:${o.port}`;
	const args = { main: ['start'], webhook: ['webhook'], worker: ['worker'] }[o.role];
	let output = '';
	/** @type {import('./host-base').ManagedProcess | null} */
	let proc = null;
	const stop = async ({ signal = /** @type {NodeJS.Signals} */ ('SIGTERM') } = {}) => {
		const current = proc;
		if (!current) return;
		await current.stop({ signal, graceMs: 30_000 });
		if (proc === current) proc = null;
	};
	const start = async () => {
		if (proc) throw new Error(`${o.name} is running`);
		const t = Date.now();
		output += `\n----- n8n ${args[0]} (${new Date().toISOString()}) -----\n`;
		const runStart = output.length;
		await startService({
			name: o.name,
			readyLine: READY_LINE[o.role],
			timeoutMs: o.readyTimeoutMs,
			onOutput: (text) => {
				const clean = text.replace(/\x1b\[[0-9;]*m/g, '');
				output += clean;
				o.onOutput?.(o.name, clean);
			},
			onProcess: (current) => (proc = current),
			spawn: (onOutput) => host.spawnN8n(o.paths, args, { userFolder: o.userFolder, env: o.env, cleanupDir: o.userFolder, onOutput }),
		}).catch((error) => {
			proc = null;
			throw error;
		});
		try {
			// The line comes just before (webhook, worker) or after (main) the server is marked ready: confirm.
			for (let i = 0; ; i++) {
				const ok = await fetch(`${url}/healthz/readiness`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
				if (ok) break;
				if (i > 100) throw new Error(`${o.name}: /healthz/readiness not ok`);
				await sleep(100);
			}
		} catch (error) {
			await stop({ signal: 'SIGKILL' });
			throw new Error(`${/** @type {Error} */ (error).message}\n--- ${o.name} output (tail) ---\n${output.slice(runStart).split('\n').slice(-60).join('\n')}`);
		}
		const ms = Date.now() - t;
		log(`${o.name} ready at ${url} in ${(ms / 1000).toFixed(1)} s`);
		return ms;
	};
	return {
		name: o.name,
		role: o.role,
		port: o.port,
		url,
		userFolder: o.userFolder,
		logs: () => output,
		pid: () => proc?.pid(),
		pgid: () => proc?.pgid,
		running: () => !!proc && proc.running(),
		start,
		stop,
		async restart(opts) {
			await stop(opts);
			return await start();
		},
	};
}

module.exports = { startQueueN8n };
