'use strict';
// A throw-away PostgreSQL server for real-host tests: Debian's server binaries (package postgresql), a new cluster in
// a temp folder, on a free 127.0.0.1 port, trust authentication, no durability (fsync off: the data dies with the
// test). Postgres refuses to run as root, so as root the cluster belongs to the `postgres` user the Debian package
// creates and every server command runs as that user (setpriv: no extra process between the watchdog and the
// postmaster, so signals reach it). The postmaster leads its own process group behind host-base's watchdog; the
// folder is removed by stop(), or by the watchdog when this process dies. Queries go through psql (JSON out).
//
//   const pg = await startPostgres({ database: 'n8n' });
//   const rows = await pg.query('SELECT id FROM execution_entity WHERE "workflowId" = $1', ['wf1']);
//   await pg.stop();

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const base = require('./host-base');
const { freePort } = require('./ports');
const { startService } = require('./service');

/** Debian installs each major version in /usr/lib/postgresql/<major>/bin; $MLV_POSTGRES_BIN names another folder. */
function serverBinDir() {
	if (process.env.MLV_POSTGRES_BIN) return process.env.MLV_POSTGRES_BIN;
	const root = '/usr/lib/postgresql';
	const majors = fs.existsSync(root)
		? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))
		: [];
	if (majors.length === 0) throw new Error('PostgreSQL server not found: apt-get install -y postgresql (or set MLV_POSTGRES_BIN)');
	return path.join(root, majors[0], 'bin');
}

/** As root: the server's own user, by uid/gid (setpriv needs no login shell or PAM session). */
function serverUser() {
	if (process.getuid?.() !== 0) return null;
	const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
	if (!line) throw new Error('running as root, but there is no postgres user to run PostgreSQL as (apt-get install -y postgresql creates it)');
	const [, , uid, gid] = line.split(':');
	return { uid: Number(uid), gid: Number(gid) };
}

/** @param {{ uid: number, gid: number } | null} user @param {string} bin @param {string[]} args */
function asUser(user, bin, args) {
	if (!user) return { cmd: bin, args };
	return { cmd: 'setpriv', args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', bin, ...args] };
}

/**
 * Runs psql with the SQL on stdin (psql interpolates :'name' variables only there), rejecting with its error.
 * @param {string[]} args @param {string} input @param {NodeJS.ProcessEnv} env
 * @returns {Promise<string>}
 */
function psql(args, input, env) {
	return new Promise((resolve, reject) => {
		const child = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...args, '-f', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
		const out = /** @type {Buffer[]} */ ([]);
		const err = /** @type {Buffer[]} */ ([]);
		child.stdout.on('data', (d) => out.push(d));
		child.stderr.on('data', (d) => err.push(d));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
			else reject(new Error(`psql failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`));
		});
		child.stdin.end(input);
	});
}

/**
 * @typedef {object} Postgres
 * @property {string} host 127.0.0.1
 * @property {number} port
 * @property {string} user the superuser (trust authentication: no password)
 * @property {string} database
 * @property {string} dir the cluster's temp folder (data and socket)
 * @property {import('./host-base').ManagedProcess} process the postmaster's group
 * @property {() => string} logs what the server printed
 * @property {(sql: string, params?: unknown[]) => Promise<Record<string, any>[]>} query
 *   rows as JSON objects; $1, $2 … are bound as quoted literals (psql variables), so never splice values into sql
 * @property {(sql: string) => Promise<string>} exec a statement that returns no rows (e.g. CREATE DATABASE)
 * @property {() => Promise<void>} stop a fast shutdown (SIGINT), then the folder is removed; idempotent
 */

/**
 * @param {{ database?: string, port?: number, readyTimeoutMs?: number, onOutput?: (text: string) => void }} [opts]
 * @returns {Promise<Postgres>}
 */
async function startPostgres(opts = {}) {
	const binDir = serverBinDir();
	const user = serverUser();
	const database = opts.database ?? 'test';
	const port = opts.port ?? (await freePort());
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-pg-'));
	const data = path.join(dir, 'data');
	if (user) fs.chownSync(dir, user.uid, user.gid);
	const remove = () => fs.rmSync(dir, { recursive: true, force: true });
	/** @type {Awaited<ReturnType<typeof startService>>} */
	let server;
	try {
		const init = asUser(user, path.join(binDir, 'initdb'), [
			'-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
		]);
		await base.runOk(init.cmd, init.args, { cwd: dir, timeoutMs: 120_000 });
		const postmaster = asUser(user, path.join(binDir, 'postgres'), [
			'-D', data,
			'-p', String(port),
			'-k', dir, // the Unix socket lives in the temp folder, never in /var/run/postgresql
			'-c', 'listen_addresses=127.0.0.1',
			'-c', 'fsync=off',
			'-c', 'synchronous_commit=off',
			'-c', 'full_page_writes=off',
			'-c', 'shared_buffers=64MB',
			'-c', 'max_connections=200',
			'-c', 'log_min_messages=warning',
		]);
		server = await startService({
			name: 'PostgreSQL',
			readyLine: 'database system is ready to accept connections',
			timeoutMs: opts.readyTimeoutMs ?? 60_000,
			onOutput: opts.onOutput,
			spawn: (onOutput) =>
				base.startProcess(postmaster.cmd, postmaster.args, { cwd: dir, cleanupDir: dir, orphanSignal: 'SIGKILL', killAfterMs: 10_000, onOutput }),
		});
	} catch (error) {
		remove();
		throw error;
	}
	const { process: running, logs } = server;
	const env = base.cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGCONNECT_TIMEOUT: '10' });
	/** @param {string} sql @param {string} db */
	const exec = (sql, db = database) => psql(['-d', db], `${sql};\n`, env);
	/** @type {Postgres['query']} */
	const query = async (sql, params = []) => {
		// $n → :'pn' (a psql variable, quoted as a literal); the values go as -v arguments, never into the text.
		const text = sql.replace(/\$(\d+)/g, (_, n) => `:'p${n}'`);
		const vars = params.flatMap((value, i) => ['-v', `p${i + 1}=${value === null || value === undefined ? '' : String(value)}`]);
		const out = await psql(['-d', database, ...vars], `SELECT coalesce(json_agg(q), '[]'::json) FROM (${text}) q;\n`, env);
		return JSON.parse(out.trim() || '[]');
	};
	if (database !== 'postgres') {
		await exec(`CREATE DATABASE "${database.replace(/"/g, '""')}"`, 'postgres').catch(async (error) => {
			await running.stop({ signal: 'SIGKILL' });
			remove();
			throw error;
		});
	}
	let stopped = false;
	return {
		host: '127.0.0.1',
		port,
		user: 'postgres',
		database,
		dir,
		process: running,
		logs,
		query,
		exec: (sql) => exec(sql),
		async stop() {
			if (stopped) return;
			stopped = true;
			await running.stop({ signal: 'SIGINT', graceMs: 15_000 }); // SIGINT: "fast" shutdown (SIGTERM waits for clients)
			remove();
		},
	};
}

module.exports = { startPostgres, serverBinDir };
