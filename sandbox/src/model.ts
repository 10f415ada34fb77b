// The simulated vision-language model: what it answers for one frame window of a task. It reads
// our JSON answer instruction from the prompt the way a model would — by its text, as specified
// in ANSWER-FORMAT.md — and shares no code with the core that writes it.
import { Scenario, scenario as findScenario, SCENARIO_NAMES, scenarioWindow } from './scenarios';
import { analysisText } from './text';

export type AnswerFieldType = 'boolean' | 'number' | 'string' | 'one_of';

export interface AnswerField {
	name: string;
	type: AnswerFieldType;
	/** The choices of a `one_of` field, in the prompt's order. */
	options: string[];
	description: string;
}

export type AnswerValue = boolean | number | string;

export const ANSWER_HEADER = 'Answer with one JSON object only, and no other text. Use exactly these fields:';
const FIELD_LINE = /^- "([A-Za-z_][A-Za-z0-9_]{0,63})" \((true or false|number|string|one of: "[^"]*"(?:, "[^"]*")*)\):(?: (.*))?$/;

/** The fields our answer instruction in `prompt` asks for; `undefined` when it asks for none (text mode). */
export function readAnswerInstruction(prompt: string): AnswerField[] | undefined {
	const lines = prompt.split(/\r?\n/).map((line) => line.trimEnd());
	const header = lines.findIndex((line) => line.trim() === ANSWER_HEADER);
	if (header < 0) return undefined;
	const fields: AnswerField[] = [];
	for (const line of lines.slice(header + 1)) {
		const match = FIELD_LINE.exec(line);
		if (!match) break;
		const [, name, kind, description = ''] = match;
		if (fields.some((f) => f.name === name)) continue; // a model would answer the name once
		const type: AnswerFieldType = kind === 'true or false' ? 'boolean' : kind === 'number' ? 'number' : kind === 'string' ? 'string' : 'one_of';
		const options = type === 'one_of' ? [...kind.matchAll(/"([^"]*)"/g)].map((m) => m[1]) : [];
		fields.push({ name, type, options, description });
	}
	return fields.length > 0 ? fields : undefined;
}

/**
 * The value of each field in a window: booleans hold while the event does; numbers are 2–4 while
 * it holds and 0–1 otherwise (so `> 1` tests the event too); a one-of field takes its last option
 * while the event holds and its first otherwise; strings carry the window's analysis text.
 */
export function answerValues(fields: readonly AnswerField[], event: boolean, text: string, frame: number): Record<string, AnswerValue> {
	const values: Record<string, AnswerValue> = {};
	for (const field of fields) {
		switch (field.type) {
			case 'boolean': values[field.name] = event; break;
			case 'number': values[field.name] = event ? 2 + (frame % 3) : frame % 2; break;
			case 'one_of': values[field.name] = event ? field.options[field.options.length - 1] : field.options[0]; break;
			case 'string': values[field.name] = text; break;
		}
	}
	return values;
}

/** Whether an answer variant can change an answer with these fields (otherwise it waits or is left out). */
export function canApplyAnswerVariant(fields: readonly AnswerField[] | undefined, variant: string): boolean {
	if (!fields) return false;
	if (variant === 'answer_yes_no') return fields.some((f) => f.type === 'boolean');
	if (variant === 'answer_number_string') return fields.some((f) => f.type === 'number');
	return true;
}

/** The answer as the model writes it, in the style of the instruction's example line, or with one of its faults. */
export function renderAnswer(fields: readonly AnswerField[], values: Record<string, AnswerValue>, variant?: string): string {
	const shown = variant === 'answer_missing_field' ? fields.slice(0, -1) : fields;
	const value = (field: AnswerField): AnswerValue => {
		const v = values[field.name];
		if (variant === 'answer_yes_no' && typeof v === 'boolean') return v ? 'yes' : 'no';
		if (variant === 'answer_number_string' && typeof v === 'number') return String(v);
		return v;
	};
	const members = shown.map((f) => `${JSON.stringify(f.name)}: ${JSON.stringify(value(f))}`);
	const json = `{${members.join(', ')}${variant === 'answer_trailing_comma' ? ',' : ''}}`;
	switch (variant) {
		case 'answer_prose': return `Here is my analysis of this frame window:\n${json}\nLet me know if you need anything else.`;
		case 'answer_code_fence': return `\`\`\`json\n${json}\n\`\`\``;
		case 'answer_invalid_json': return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
		default: return json;
	}
}

/** What the model knows about a task: its prompt, its scenario, and the fields it must answer. */
export interface TaskModel {
	userPrompt: string;
	scenario?: Scenario;
	/** Place the scenario's scripted answer faults (`&answer_faults=1`). */
	answerFaults: boolean;
	/** JSON mode: the fields the prompt asks for. */
	fields?: AnswerField[];
}

export type TaskModelOutcome = { ok: true; model: TaskModel } | { ok: false; problem: string };

/** Reads the scenario from the RTMP URL's query and the answer instruction from the prompt. */
export function taskModel(userPrompt: string, rtmpUrl: string): TaskModelOutcome {
	let query: URLSearchParams;
	try {
		query = new URL(rtmpUrl).searchParams;
	} catch {
		query = new URLSearchParams();
	}
	const name = query.get('scenario');
	const script = name === null || name === '' ? undefined : findScenario(name);
	if (name && !script) return { ok: false, problem: `unknown sandbox scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})` };
	const faults = (query.get('answer_faults') ?? '').toLowerCase();
	return {
		ok: true,
		model: { userPrompt, scenario: script, answerFaults: faults === '1' || faults === 'true', fields: readAnswerInstruction(userPrompt) },
	};
}

export interface WindowAnswer {
	frame: number;
	/** The event holds in this window (scenario: the script says so; the default story: the pan boils over). */
	event: boolean;
	/** The analysis text of the window. */
	observation: string;
	/** JSON mode: the value of each declared field. */
	fields?: Record<string, AnswerValue>;
	/** What `data.text` carries before any answer variant: the observation, or the JSON answer. */
	text: string;
	/** The scripted answer fault of this window (`&answer_faults=1`, JSON mode only). */
	answerFault?: string;
}

/** The model's answer for frame window `frame` (1-based) of a task. */
export function answerWindow(model: TaskModel, frame: number): WindowAnswer {
	const window = model.scenario ? scenarioWindow(model.scenario, frame) : undefined;
	const observation = window ? window.text : analysisText(model.userPrompt, frame);
	const event = window ? window.event : observation.includes('boiling over');
	if (!model.fields) return { frame, event, observation, text: observation };
	const fields = answerValues(model.fields, event, observation, frame);
	const scripted = model.answerFaults ? (window?.answerFault ?? undefined) : undefined;
	const answerFault = scripted !== undefined && canApplyAnswerVariant(model.fields, scripted) ? scripted : undefined;
	return { frame, event, observation, fields, text: renderAnswer(model.fields, fields), answerFault };
}

/**
 * What the sandbox answers for frame window `frame` of a stream started with this prompt and RTMP
 * URL (before faults and variants): for tests that compute what they expect.
 */
export function windowAnswer(request: { userPrompt: string; rtmpUrl: string }, frame: number): WindowAnswer {
	const outcome = taskModel(request.userPrompt, request.rtmpUrl);
	if (!outcome.ok) throw new Error(outcome.problem);
	return answerWindow(outcome.model, frame);
}
