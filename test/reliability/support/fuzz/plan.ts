// Plans a fuzz run for one host: exactly `malformed` refused requests in the categories' weights,
// `valid` accepted callbacks, `replays` of accepted ones and `clientAborts`, shuffled with one
// seeded generator. Same seed, same host, same targets: same requests, in the same order.
import { acceptedShapes } from './accepted';
import { AcceptedShape, Category, Context, Draft, FuzzCase, FuzzTarget, Host, MalformedCategory, RefusedShape } from './cases';
import { REFUSED, WEIGHTS } from './refused';
import { Random, seeded } from './random';

export interface PlanOptions {
	host: Host;
	seed: number;
	malformed: number;
	valid: number;
	/** Accepted callbacks sent again a good while later (answered long before). */
	replays?: number;
	/** Requests the client abandons half-way (raw sockets). */
	clientAborts?: number;
	targets: FuzzTarget[];
	/** Distinguishes this run's task ids. */
	tag: string;
}

export interface FuzzPlan {
	seed: number;
	cases: FuzzCase[];
	/** Cases per category. */
	counts: Record<string, number>;
	/** Cases per category/variant. */
	variants: Record<string, number>;
}

/** Requests between a callback and its replay: twice what the tests keep in flight. */
export const REPLAY_GAP = 32;

const forHost = <T extends { notFor?: Partial<Record<Host, string>> }>(host: Host, shapes: T[]) => shapes.filter((s) => !s.notFor?.[host]);

/** The malformed categories a host gets (those with at least one shape for it). */
export function malformedCategoriesFor(host: Host): MalformedCategory[] {
	return (Object.keys(REFUSED) as MalformedCategory[]).filter((category) => forHost(host, REFUSED[category]).length > 0);
}

/** Shapes left out for a host, with the reason: for the report. */
export function leftOutFor(host: Host): Array<{ shape: string; reason: string }> {
	const refused = Object.entries(REFUSED).flatMap(([category, shapes]) => shapes.filter((s) => s.notFor?.[host]).map((s) => ({ shape: `${category}/${s.name}`, reason: s.notFor![host]! })));
	const accepted = Object.entries(acceptedShapes((t) => t)).flatMap(([category, shapes]) =>
		shapes.filter((s) => s.notFor?.[host]).map((s) => ({ shape: `${category}/${s.name}`, reason: s.notFor![host]! })),
	);
	return [...refused, ...accepted];
}

/** The key under which an emitted result is matched to the callback that caused it. */
export const resultKey = (r: { task_id: string; timestamp: string | null; status: number }) => `${r.task_id}|${r.timestamp}|${r.status}`;

/** Exactly `total` slots, split by weight (largest remainders first). */
function quotas<K extends string>(weights: Array<[K, number]>, total: number): Array<[K, number]> {
	const sum = weights.reduce((a, [, w]) => a + w, 0);
	const exact = weights.map(([k, w]) => [k, (w * total) / sum] as const);
	const counts = exact.map(([k, x]) => [k, Math.floor(x)] as [K, number]);
	const order = exact.map(([, x], i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
	for (let left = total - counts.reduce((a, [, c]) => a + c, 0), i = 0; left > 0; left--, i++) counts[order[i % order.length][1]][1]++;
	return counts;
}

export function planFuzz(options: PlanOptions): FuzzPlan {
	const random: Random = seeded(options.seed);
	const { host, tag, targets } = options;
	const categories = malformedCategoriesFor(host);
	const slots: Array<Exclude<Category, 'replay'>> = [
		...quotas(categories.map((c) => [c, WEIGHTS[c]] as [MalformedCategory, number]), options.malformed).flatMap(([c, count]) => Array<MalformedCategory>(count).fill(c)),
		...Array<'valid'>(options.valid).fill('valid'),
		...Array<'client_abort'>(options.clientAborts ?? 0).fill('client_abort'),
	];
	random.shuffle(slots);

	const mark = (n: number) => (text: string) => `${text} #${options.seed}-${n}`;
	const cases: FuzzCase[] = [];
	const replayable: FuzzCase[] = [];
	slots.forEach((category, n) => {
		const target = random.pick(targets);
		const timestamp = new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();
		const context: Context = {
			n,
			target,
			otherSecrets: targets.filter((t) => t.secret !== target.secret).map((t) => t.secret),
			random,
			tokenQuery: (secret = target.secret) => `?token=${encodeURIComponent(secret)}`,
			marked: () => ({ status: 0, task_id: target.taskId ?? `m${tag}-${n}`, data: { text: `MALFORMED ${n}`, timestamp } }),
			timestamp,
			taskId: target.taskId ?? `v${tag}-${n}`,
		};
		const request = (variant: string, draft: Draft): Omit<FuzzCase, 'verdict' | 'category'> => ({
			n,
			variant,
			target: target.name,
			method: draft.method ?? 'POST',
			path: `${draft.path ?? target.path}${draft.query ?? context.tokenQuery()}`,
			headers: draft.headers ?? {},
			body: draft.body === undefined ? undefined : Buffer.isBuffer(draft.body) ? draft.body : Buffer.from(draft.body, 'utf8'),
			chunked: draft.chunked,
			raw: draft.raw === undefined ? undefined : Buffer.from(draft.raw, 'latin1'),
		});
		if (category === 'client_abort') {
			const body = JSON.stringify(context.marked());
			const path = `${target.path}${context.tokenQuery()}`;
			const variant = random.pick(['body_cut_short', 'headers_cut_short']);
			const raw =
				variant === 'body_cut_short'
					? `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n${body.slice(0, 20)}`
					: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Ty`;
			cases.push({ ...request(variant, { method: 'RAW', raw }), category, verdict: { kind: 'abort' } });
		} else if (category === 'valid') {
			const shapes = forHost(host, acceptedShapes(mark(n))[category]).filter((s: AcceptedShape) => !target.taskId || (!s.ownTaskId && !s.endsStream && !s.noFrameWindow));
			const shape = random.pick(shapes);
			const { draft, result } = shape.build(context);
			const c: FuzzCase = { ...request(shape.name, draft), category, verdict: { kind: 'accept', result }, marker: `#${options.seed}-${n}` };
			cases.push(c);
			// Without a timestamp two windows cannot be told apart: such a callback is never a replay.
			if (result.timestamp !== null) replayable.push(c);
		} else {
			const shape: RefusedShape = random.pick(forHost(host, REFUSED[category]));
			cases.push({ ...request(shape.name, shape.build(context)), category, verdict: { kind: 'refuse', because: shape.because } });
		}
	});

	const replayOf = new Map<FuzzCase, FuzzCase>();
	// Replays, as a sender retrying would send them: one of the 5 to 50 accepted callbacks before
	// it, at least REPLAY_GAP requests later (answered by then). The receivers remember the last 100
	// windows of each of the last 1000 streams: a redelivery older than that is not their promise.
	for (let i = 0; i < (options.replays ?? 0) && replayable.length > 0; i++) {
		const at = random.int(Math.min(REPLAY_GAP, cases.length), cases.length);
		const earlier = replayable.filter((c) => cases.indexOf(c) <= at - REPLAY_GAP);
		if (earlier.length === 0) continue;
		const original = earlier[Math.max(0, earlier.length - 1 - random.int(5, 50))];
		const replay: FuzzCase = { ...original, category: 'replay', variant: 'same task, frame window and status', verdict: { kind: 'replay', of: -1 } };
		replayOf.set(replay, original);
		cases.splice(at, 0, replay);
	}
	cases.forEach((c, n) => {
		c.n = n;
	});
	for (const c of cases) if (c.verdict.kind === 'replay') c.verdict = { kind: 'replay', of: replayOf.get(c)!.n };

	const counts: Record<string, number> = {};
	const variants: Record<string, number> = {};
	for (const c of cases) {
		counts[c.category] = (counts[c.category] ?? 0) + 1;
		variants[`${c.category}/${c.variant}`] = (variants[`${c.category}/${c.variant}`] ?? 0) + 1;
	}
	return { seed: options.seed, cases, counts, variants };
}
