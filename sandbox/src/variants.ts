// Delivery variants: what the real service may plausibly send instead of the documented shape
// (its delivery details are undocumented). Each variant changes one thing about a callback or an
// API answer; variants of different dimensions combine, a later layer replaces an earlier one in
// the same dimension. With no variant, callbacks and answers are exactly the documented contract.

export type VariantTarget = 'callback' | 'api';

export type VariantDimension =
	| 'content_type'
	| 'bom'
	| 'transfer'
	| 'status'
	| 'task_id'
	| 'text'
	| 'data'
	| 'extra'
	| 'timestamp'
	| 'query'
	| 'answer';

export interface VariantSpec {
	readonly name: string;
	readonly dimension: VariantDimension;
	readonly targets: readonly VariantTarget[];
	readonly description: string;
}

const BOTH: readonly VariantTarget[] = ['callback', 'api'];
const CALLBACK: readonly VariantTarget[] = ['callback'];

/** The catalogue, in the order the README and the CLI help list it. */
export const VARIANTS: readonly VariantSpec[] = [
	{ name: 'json_charset', dimension: 'content_type', targets: BOTH, description: 'Content-Type: application/json;charset=UTF-8 (Spring)' },
	{ name: 'text_plain', dimension: 'content_type', targets: BOTH, description: 'Content-Type: text/plain, JSON body' },
	{ name: 'text_plain_charset', dimension: 'content_type', targets: BOTH, description: 'Content-Type: text/plain;charset=UTF-8, JSON body' },
	{ name: 'form', dimension: 'content_type', targets: BOTH, description: "Content-Type: application/x-www-form-urlencoded (HttpURLConnection's default), JSON body" },
	{ name: 'octet_stream', dimension: 'content_type', targets: BOTH, description: 'Content-Type: application/octet-stream, JSON body' },
	{ name: 'no_content_type', dimension: 'content_type', targets: BOTH, description: 'no Content-Type header at all' },
	{ name: 'bom', dimension: 'bom', targets: BOTH, description: 'a UTF-8 byte order mark (EF BB BF) before the JSON' },
	{ name: 'chunked', dimension: 'transfer', targets: BOTH, description: 'Transfer-Encoding: chunked, no Content-Length (sent in two chunks)' },
	{ name: 'status_string', dimension: 'status', targets: BOTH, description: 'numbers as strings: "status": "0"' },
	{ name: 'task_id_number', dimension: 'task_id', targets: BOTH, description: 'task_id as a JSON number (needs taskIds: numeric)' },
	{ name: 'text_null', dimension: 'text', targets: CALLBACK, description: '"data": {"text": null, …}' },
	{ name: 'text_missing', dimension: 'text', targets: CALLBACK, description: 'no data.text at all' },
	{ name: 'data_null', dimension: 'data', targets: CALLBACK, description: '"data": null — final callbacks (status ≠ 0) only' },
	{ name: 'extra_fields', dimension: 'extra', targets: BOTH, description: 'unknown extra fields, top level and in data (nested object and array)' },
	{ name: 'ts_no_zone', dimension: 'timestamp', targets: CALLBACK, description: 'timestamp without a zone: 2025-10-22T12:00:45 (UTC wall clock, seconds)' },
	{ name: 'ts_offset', dimension: 'timestamp', targets: CALLBACK, description: 'timestamp with an offset: 2025-10-22T20:00:45+08:00' },
	{ name: 'ts_fraction', dimension: 'timestamp', targets: CALLBACK, description: 'microseconds: 2025-10-22T12:00:45.123000Z' },
	{ name: 'ts_space', dimension: 'timestamp', targets: CALLBACK, description: 'a space instead of T, no zone: 2025-10-22 12:00:45' },
	{ name: 'ts_epoch_s', dimension: 'timestamp', targets: CALLBACK, description: 'epoch seconds as a number: 1761134445' },
	{ name: 'ts_epoch_ms', dimension: 'timestamp', targets: CALLBACK, description: 'epoch milliseconds as a number: 1761134445123' },
	{ name: 'ts_epoch_s_string', dimension: 'timestamp', targets: CALLBACK, description: 'epoch seconds as a string: "1761134445"' },
	{ name: 'ts_epoch_ms_string', dimension: 'timestamp', targets: CALLBACK, description: 'epoch milliseconds as a string: "1761134445123"' },
	{ name: 'query_task_id', dimension: 'query', targets: CALLBACK, description: 'the service appends ?task_id=<id> to the callback URL as it is (…?token=X?task_id=Y)' },
	{ name: 'query_task_id_amp', dimension: 'query', targets: CALLBACK, description: 'the service appends &task_id=<id> (or ?task_id= when the URL has no query)' },
	{ name: 'answer_prose', dimension: 'answer', targets: CALLBACK, description: 'JSON answer with prose before and after it' },
	{ name: 'answer_code_fence', dimension: 'answer', targets: CALLBACK, description: 'JSON answer in a ```json code fence' },
	{ name: 'answer_invalid_json', dimension: 'answer', targets: CALLBACK, description: 'JSON answer cut off half-way (unreadable)' },
	{ name: 'answer_missing_field', dimension: 'answer', targets: CALLBACK, description: 'JSON answer without its last declared field' },
	{ name: 'answer_trailing_comma', dimension: 'answer', targets: CALLBACK, description: 'JSON answer with a trailing comma: {"a": true,}' },
	{ name: 'answer_yes_no', dimension: 'answer', targets: CALLBACK, description: 'JSON answer with "yes"/"no" for booleans' },
	{ name: 'answer_number_string', dimension: 'answer', targets: CALLBACK, description: 'JSON answer with numbers as strings: "people": "2"' },
];

const BY_NAME = new Map(VARIANTS.map((v) => [v.name, v]));

export const VARIANT_NAMES: readonly string[] = VARIANTS.map((v) => v.name);

export function variantSpec(name: string): VariantSpec | undefined {
	return BY_NAME.get(name);
}

/** @returns a reason when `list` is not a usable list of variants for `target` */
export function variantsProblem(list: unknown, target: VariantTarget, numericTaskIds?: boolean): string | undefined {
	if (!Array.isArray(list) || list.length === 0) return '"variants" must be a non-empty list of variant names';
	const dimensions = new Set<string>();
	for (const name of list) {
		const spec = typeof name === 'string' ? BY_NAME.get(name) : undefined;
		if (!spec) return `unknown variant ${JSON.stringify(name)}: known are ${VARIANT_NAMES.join(', ')}`;
		if (!spec.targets.includes(target)) return `variant ${spec.name} applies to callbacks only`;
		if (dimensions.has(spec.dimension)) return `variants ${list.filter((n) => BY_NAME.get(n as string)?.dimension === spec.dimension).join(' and ')} change the same thing (${spec.dimension}): pick one`;
		dimensions.add(spec.dimension);
		if (spec.name === 'task_id_number' && numericTaskIds === false) return "variant task_id_number needs numeric task ids (startSandbox({ taskIds: 'numeric' }) or --task-ids numeric)";
	}
	return undefined;
}

/** Layers of variants, earliest first: a later layer wins within a dimension. */
export function combineVariants(...layers: ReadonlyArray<readonly string[] | undefined>): string[] {
	const byDimension = new Map<string, string>();
	for (const layer of layers) for (const name of layer ?? []) byDimension.set(BY_NAME.get(name)!.dimension, name);
	return [...byDimension.values()];
}

// ---- timestamps ----

const SECOND_PRECISION = new Set(['ts_no_zone', 'ts_offset', 'ts_space', 'ts_epoch_s', 'ts_epoch_s_string']);

/** The frame window's time `ms` in the timestamp variant's form (the documented ISO form without one). */
export function formatTimestamp(ms: number, variant?: string): string | number {
	const iso = new Date(ms).toISOString();
	switch (variant) {
		case 'ts_no_zone': return iso.slice(0, 19);
		case 'ts_offset': return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
		case 'ts_fraction': return `${iso.slice(0, 23)}000Z`;
		case 'ts_space': return iso.slice(0, 19).replace('T', ' ');
		case 'ts_epoch_s': return Math.floor(ms / 1000);
		case 'ts_epoch_ms': return ms;
		case 'ts_epoch_s_string': return String(Math.floor(ms / 1000));
		case 'ts_epoch_ms_string': return String(ms);
		default: return iso;
	}
}

/** The instant (epoch ms, UTC) that `formatTimestamp(ms, variant)` denotes: seconds forms drop the milliseconds. */
export function timestampInstant(ms: number, variant?: string): number {
	return variant !== undefined && SECOND_PRECISION.has(variant) ? Math.floor(ms / 1000) * 1000 : ms;
}

// ---- rendering ----

const CONTENT_TYPES: Record<string, string | undefined> = {
	json_charset: 'application/json;charset=UTF-8',
	text_plain: 'text/plain',
	text_plain_charset: 'text/plain;charset=UTF-8',
	form: 'application/x-www-form-urlencoded',
	octet_stream: 'application/octet-stream',
	no_content_type: undefined,
};

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A body as it goes on the wire. */
export interface WireBody {
	/** `undefined`: no Content-Type header. */
	contentType: string | undefined;
	body: Buffer;
	/** Sent with Transfer-Encoding: chunked (no Content-Length). */
	chunked: boolean;
}

function dimension(variants: readonly string[], name: VariantDimension): string | undefined {
	return variants.find((v) => BY_NAME.get(v)?.dimension === name);
}

/** Serialises `json` with the wire-level variants (content type, BOM, chunked); `defaultType` without one. */
export function wireBody(json: unknown, variants: readonly string[], defaultType: string): WireBody {
	const contentTypeVariant = dimension(variants, 'content_type');
	const text = Buffer.from(JSON.stringify(json), 'utf8');
	return {
		contentType: contentTypeVariant === undefined ? defaultType : CONTENT_TYPES[contentTypeVariant],
		body: variants.includes('bom') ? Buffer.concat([BOM, text]) : text,
		chunked: variants.includes('chunked'),
	};
}

/** What a callback says before variants: the documented payload's parts. */
export interface CallbackContent {
	status: number;
	taskId: string;
	/** `data.text` (a JSON answer's text in JSON mode). */
	text: string;
	/** The frame window's time (final callbacks: when the task ended). */
	timestampMs: number;
	frame: number;
	intervalMs: number;
}

/** The callback's JSON object with the payload variants applied. */
export function callbackJson(content: CallbackContent, variants: readonly string[]): Record<string, unknown> {
	const timestampVariant = dimension(variants, 'timestamp');
	const textVariant = dimension(variants, 'text');
	const data: Record<string, unknown> = {};
	if (textVariant === 'text_null') data.text = null;
	else if (textVariant !== 'text_missing') data.text = content.text;
	data.timestamp = formatTimestamp(content.timestampMs, timestampVariant);
	const json: Record<string, unknown> = {
		status: variants.includes('status_string') ? String(content.status) : content.status,
		task_id: variants.includes('task_id_number') ? Number(content.taskId) : content.taskId,
		data: variants.includes('data_null') ? null : data,
	};
	if (variants.includes('extra_fields')) {
		json.request_id = `req-${content.frame}-${content.taskId.slice(0, 8)}`;
		json.seq = content.frame;
		json.model = 'sandbox-vlm-1';
		if (json.data) Object.assign(data, { frame_index: content.frame, meta: { duration_ms: content.intervalMs, labels: ['stove', 'pan'] } });
	}
	return json;
}

/** The callback URL the service posts to: the variant may append its own query. */
export function callbackUrl(url: string, taskId: string, variants: readonly string[]): string {
	switch (dimension(variants, 'query')) {
		case 'query_task_id': return `${url}?task_id=${taskId}`;
		case 'query_task_id_amp': return `${url}${url.includes('?') ? '&' : '?'}task_id=${taskId}`;
		default: return url;
	}
}

/** Whether `variant` changes this callback (one that does not apply waits or is left out). */
export function appliesToCallback(variant: string, content: CallbackContent, canApplyAnswer: (variant: string) => boolean): boolean {
	if (variant === 'data_null') return content.status !== 0;
	if (variant === 'task_id_number') return /^[1-9]\d{0,15}$/.test(content.taskId) && Number.isSafeInteger(Number(content.taskId));
	if (BY_NAME.get(variant)?.dimension === 'answer') return canApplyAnswer(variant);
	return true;
}

/** An API answer (`{status, task_id, …}` or the older envelope) with the payload variants applied. */
export function apiAnswerJson(answer: unknown, variants: readonly string[]): unknown {
	if (typeof answer !== 'object' || answer === null) return answer;
	const json = { ...(answer as Record<string, unknown>) };
	if (variants.includes('status_string') && typeof json.status === 'number') json.status = String(json.status);
	if (variants.includes('task_id_number') && typeof json.task_id === 'string' && /^\d+$/.test(json.task_id)) json.task_id = Number(json.task_id);
	if (variants.includes('extra_fields')) Object.assign(json, { request_id: 'req-api', cost_ms: 12, meta: { region: 'sandbox', tags: ['v1'] } });
	return json;
}
