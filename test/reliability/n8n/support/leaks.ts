// Searches everything a real n8n keeps or prints for the API keys and callback secrets a test
// used, and says for each hit where it is and whether that place is legitimate:
//  - a Watch trigger's secret belongs nowhere in n8n, not even in its own workflow's static data
//    (exported and shared with the workflow), which keeps only its digest: only the callback URL
//    handed to memories.ai (outside n8n) carries it;
//  - a Callback Token the user typed belongs in the workflow definition where they typed it (the
//    Receive trigger's Callback Token, a Start node's Callback URL), wherever n8n copies that
//    definition (workflow history, published versions, each execution's workflow snapshot);
//  - an API key belongs only in n8n's encrypted credential store: it must never appear in plain text.
import { execFile } from 'child_process';
import fs from 'fs';
import path from 'path';

import type { N8nInstance } from './host';

export type SecretKind = 'api_key' | 'watch_secret' | 'callback_token';

export interface Secret {
	kind: SecretKind;
	/** What the report shows instead of the value. */
	label: string;
	value: string;
	/** watch_secret: the workflow whose trigger generated it (its static data holds only the digest). */
	workflowId?: string;
}

export interface Hit {
	secret: string;
	kind: SecretKind;
	place: string;
	where: string;
	legitimate: boolean;
	why: string;
}

export function mask(value: string): string {
	return value.length <= 10 ? '***' : `${value.slice(0, 6)}…${value.slice(-2)}`;
}

/** JSON paths (a.b[0].c) of every string inside `value` that contains `needle`. */
export function jsonPaths(value: unknown, needle: string, at = '$'): string[] {
	if (typeof value === 'string') return value.includes(needle) ? [at] : [];
	if (Array.isArray(value)) return value.flatMap((item, i) => jsonPaths(item, needle, `${at}[${i}]`));
	if (value && typeof value === 'object') {
		return Object.entries(value).flatMap(([key, item]) => {
			const inKey = key.includes(needle) ? [`${at}.<key ${mask(key)}>`] : [];
			return [...inKey, ...jsonPaths(item, needle, `${at}.${key}`)];
		});
	}
	return [];
}

/** Node parameters of a workflow definition, wherever n8n stores or copies one. */
const DEFINITION_PARAMETER = /(^\$|\.nodes)\[\d+\]\.parameters\.(callbackToken|callbackUrl)$/;

interface HitContext {
	table?: string;
	column?: string;
	rowId?: string;
	workflowId?: string;
	/** JSON path inside the cell or the exported workflow ($ = the cell / the workflow). */
	jsonPath?: string;
}

function judge(secret: Secret, place: string, at: HitContext): Pick<Hit, 'legitimate' | 'why'> {
	if (secret.kind === 'api_key') return { legitimate: false, why: 'an API key may only exist encrypted' };
	if (secret.kind === 'watch_secret') {
		const ownStaticData =
			(place === 'database' && at.table === 'workflow_entity' && at.column === 'staticData' && at.rowId === secret.workflowId) ||
			(place === 'export:workflow' && at.workflowId === secret.workflowId && /^\$\.staticData\./.test(at.jsonPath ?? ''));
		return {
			legitimate: false,
			why: ownStaticData
				? "a raw Watch secret in its workflow's static data (exported and shared with the workflow; only its digest belongs there)"
				: 'a Watch secret inside n8n',
		};
	}
	if ((place === 'database' || place === 'export:workflow') && DEFINITION_PARAMETER.test(at.jsonPath ?? '')) {
		return { legitimate: true, why: "the workflow definition the user typed it into (or n8n's copy of it)" };
	}
	return { legitimate: false, why: 'a callback token outside the workflow definition' };
}

/** Runs a script with n8n's Node 24 (node:sqlite), reading the database read-only. */
function scanDatabase(n8n: N8nInstance, needles: string[]): Promise<Array<{ table: string; column: string; row: string; cell: string; needle: number }>> {
	const script = `
const { DatabaseSync } = require('node:sqlite');
const fs = require('node:fs');
const [dbFile, needleFile] = process.argv.slice(1);
const needles = JSON.parse(fs.readFileSync(needleFile, 'utf8'));
const db = new DatabaseSync(dbFile, { readOnly: true, timeout: 10000 });
const q = (name) => '"' + name.replace(/"/g, '""') + '"';
const hits = [];
let cells = 0;
for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()) {
  const columns = db.prepare('PRAGMA table_info(' + q(name) + ')').all();
  const keys = columns.filter((c) => c.pk > 0).map((c) => c.name);
  for (const column of columns) {
    const key = keys.length ? keys.map((k) => 'CAST(' + q(k) + ' AS TEXT)').join(" || '|' || ") : 'rowid';
    const rows = db.prepare('SELECT ' + key + ' AS __key, CAST(' + q(column.name) + ' AS TEXT) AS __cell FROM ' + q(name) + ' WHERE ' + q(column.name) + ' IS NOT NULL').all();
    for (const row of rows) {
      cells++;
      const cell = row.__cell;
      if (typeof cell !== 'string') continue;
      needles.forEach((needle, i) => {
        if (cell.includes(needle)) hits.push({ table: name, column: column.name, row: String(row.__key), cell: cell.length > 2000000 ? '' : cell, needle: i });
      });
    }
  }
}
process.stdout.write(JSON.stringify({ hits, cells }));
`;
	const needleFile = path.join(n8n.userFolder, '..', `needles-${process.pid}-${Date.now()}.json`);
	fs.writeFileSync(needleFile, JSON.stringify(needles), { mode: 0o600 });
	const dbFile = path.join(n8n.userFolder, '.n8n', 'database.sqlite');
	return new Promise((resolve, reject) => {
		execFile(n8n.paths.nodeBin, ['-e', script, dbFile, needleFile], { maxBuffer: 512 * 1024 * 1024 }, (error, stdout, stderr) => {
			fs.rmSync(needleFile, { force: true });
			if (error) return reject(new Error(`database scan failed: ${stderr || error.message}`));
			const { hits, cells } = JSON.parse(stdout) as { hits: Array<{ table: string; column: string; row: string; cell: string; needle: number }>; cells: number };
			scanned.databaseCells = cells;
			resolve(hits);
		});
	});
}

const scanned = { databaseCells: 0 };

function filesUnder(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(full);
		return entry.isFile() ? [full] : [];
	});
}

export interface LeakReport {
	scope: Record<string, unknown>;
	hits: Hit[];
	illegitimate: Hit[];
}

/**
 * @param extraTexts other texts to search (e.g. what the workflows posted to the sink, error
 *   messages a test collected), each with a name for the report
 */
export async function searchForSecrets(n8n: N8nInstance, secrets: Secret[], extraTexts: Record<string, string[]>): Promise<LeakReport> {
	const hits: Hit[] = [];
	const add = (secret: Secret, place: string, where: string, at: HitContext = {}) =>
		hits.push({ secret: secret.label, kind: secret.kind, place, where, ...judge(secret, place, at) });

	// 1. Everything n8n printed, in every run of this instance.
	const logs = n8n.logs();
	for (const secret of secrets) if (logs.includes(secret.value)) add(secret, 'n8n log', 'stdout/stderr');

	// 2. The workflows as n8n exports them.
	const exported = await n8n.cli(['export:workflow', '--all']);
	if (exported.code !== 0) throw new Error(`export:workflow: ${exported.stderr}`);
	const workflows = JSON.parse(exported.stdout.slice(exported.stdout.indexOf('['))) as Array<{ id: string }>;
	for (const secret of secrets) {
		workflows.forEach((workflow) => {
			for (const jsonPath of jsonPaths(workflow, secret.value)) {
				add(secret, 'export:workflow', `workflow ${workflow.id} ${jsonPath}`, { workflowId: workflow.id, jsonPath });
			}
		});
	}

	// 3. The credentials as n8n exports them (without --decrypted: what a backup holds).
	const credentials = await n8n.cli(['export:credentials', '--all']);
	if (credentials.code !== 0) throw new Error(`export:credentials: ${credentials.stderr}`);
	for (const secret of secrets) if (credentials.stdout.includes(secret.value)) add(secret, 'export:credentials', 'stdout');

	// 4. Every table and column of the database (workflows, static data, executions with their
	//    data and workflow snapshots, webhooks, publication errors, credentials…).
	const dbHits = await scanDatabase(
		n8n,
		secrets.map((s) => s.value),
	);
	for (const hit of dbHits) {
		const secret = secrets[hit.needle];
		let paths: string[] = [];
		try {
			paths = jsonPaths(JSON.parse(hit.cell), secret.value);
		} catch {
			paths = [];
		}
		const where = `${hit.table}.${hit.column} [id=${hit.row}]`;
		const at = { table: hit.table, column: hit.column, rowId: hit.row };
		if (paths.length === 0) add(secret, 'database', where, at);
		for (const jsonPath of paths) add(secret, 'database', `${where} ${jsonPath}`, { ...at, jsonPath });
	}

	// 5. Every other file in n8n's user folder (config, binary data, logs, installed nodes' data),
	//    and the raw database files for API keys (nothing may hold one in plain text).
	const files = filesUnder(n8n.userFolder);
	for (const file of files) {
		const isDatabase = /database\.sqlite/.test(path.basename(file));
		const content = fs.readFileSync(file);
		for (const secret of secrets) {
			if (isDatabase && secret.kind !== 'api_key') continue; // the database is searched table by table above
			if (content.includes(secret.value)) add(secret, 'file', path.relative(n8n.userFolder, file));
		}
	}

	// 6. What the workflows sent on (node outputs, error items) and error texts the tests saw.
	let extraCount = 0;
	for (const [place, texts] of Object.entries(extraTexts)) {
		texts.forEach((text, i) => {
			extraCount++;
			for (const secret of secrets) if (text.includes(secret.value)) add(secret, place, `#${i}`);
		});
	}

	return {
		scope: {
			secrets: {
				apiKeys: secrets.filter((s) => s.kind === 'api_key').length,
				watchSecrets: secrets.filter((s) => s.kind === 'watch_secret').length,
				callbackTokens: secrets.filter((s) => s.kind === 'callback_token').length,
			},
			logBytes: logs.length,
			exportedWorkflows: workflows.length,
			exportedCredentialsBytes: credentials.stdout.length,
			databaseCellsSearched: scanned.databaseCells,
			userFolderFilesSearched: files.length,
			otherTextsSearched: extraCount,
		},
		hits,
		illegitimate: hits.filter((h) => !h.legitimate),
	};
}

/** The findings as the report shows them: one line per distinct place, without any secret value. */
export function summariseHits(hits: Hit[]): Array<{ kind: SecretKind; place: string; where: string; legitimate: boolean; why: string; count: number }> {
	const byPlace = new Map<string, { kind: SecretKind; place: string; where: string; legitimate: boolean; why: string; count: number }>();
	for (const hit of hits) {
		// Group per table/column and JSON path shape, not per row.
		const where = hit.where.replace(/\[id=[^\]]*\]/, '[id=…]').replace(/\[\d+\]/g, '[n]').replace(/#\d+$/, '#n');
		const key = `${hit.kind}|${hit.place}|${where}|${hit.legitimate}`;
		const entry = byPlace.get(key) ?? { kind: hit.kind, place: hit.place, where, legitimate: hit.legitimate, why: hit.why, count: 0 };
		entry.count++;
		byPlace.set(key, entry);
	}
	return [...byPlace.values()];
}
