// The trigger's event settings (issue 13): the condition for "Only Results That Meet the
// Condition" and "Episodes", the episode options, and the options for summaries, parse errors and
// stall gaps. Read here into the core's GateSettings; the core checks them (activation refuses
// what it refuses, naming the field).
import type { IHookFunctions, ILoadOptionsFunctions, INodePropertyOptions, INodeProperties, IWebhookFunctions } from 'n8n-workflow';

import {
	DEFAULT_STALL_SECONDS,
	EPISODE_OPTION_LABELS,
	EpisodeOptionLimits,
	GateSettings,
	MAX_STALL_SECONDS,
	RULE_OPERATORS,
	RuleOperator,
	STALL_LABEL,
} from '../../core';
import { readAnswerFormat } from '../shared/answer-format';
import { keywordsField, regexField } from '../shared/fields';

const conditioned = { show: { emit: ['condition', 'episodes'] } };
const ofType = (type: string) => ({ show: { emit: ['condition', 'episodes'], conditionType: [type] } });
const episodes = { show: { emit: ['episodes'] } };

/** The new Emit choices, beside today's (nodes/shared/fields.ts FILTER_OPTIONS). */
export const EVENT_EMIT_OPTIONS = [
	{
		name: 'Episodes: Once When the Condition Starts to Hold, Once When It Ends',
		value: 'episodes',
		description: 'Alert once per occurrence: episode_started, episode_ended (and optional reminders), then a stream summary',
	},
	{
		name: 'Only Results That Meet the Condition',
		value: 'condition',
		description: 'Start the workflow only for windows whose answer meets the condition below',
	},
];

const OPERATOR_NAMES: Record<RuleOperator, string> = {
	contains: 'Contains',
	equals: 'Equals (=)',
	greater_than: 'Greater Than (>)',
	is_false: 'Is False',
	is_one_of: 'Is One Of',
	is_true: 'Is True',
	less_than: 'Less Than (<)',
	not_equals: 'Not Equals (≠)',
};

/** Bounds and labels from the core (validateEpisodeOptions applies them again at activation). */
function episodeOption(key: keyof typeof EPISODE_OPTION_LABELS): Pick<INodeProperties, 'displayName' | 'name' | 'typeOptions' | 'displayOptions'> {
	const limits = EpisodeOptionLimits[key];
	return {
		displayName: EPISODE_OPTION_LABELS[key],
		name: key,
		typeOptions: { minValue: limits.min, maxValue: limits.max, numberPrecision: limits.integer ? 0 : 2 },
		displayOptions: episodes,
	};
}

/** Shown after today's Keywords and Regular Expression fields, before Options. */
export const eventProperties: INodeProperties[] = [
	{
		displayName: 'Condition',
		name: 'conditionType',
		type: 'options',
		options: [
			{ name: 'Rules on Fields', value: 'fields', description: 'Rules on the JSON fields of the answer (Answer Format: JSON Fields)' },
			{ name: 'Keywords', value: 'keywords', description: 'The text contains one of the keywords' },
			{ name: 'Regular Expression', value: 'regex', description: 'The text matches the expression' },
		],
		default: 'fields',
		description: 'What an answer must meet',
		displayOptions: conditioned,
	},
	keywordsField(ofType('keywords'), 'Comma-separated; the condition holds when the text contains any of them'),
	regexField(ofType('regex'), 'A JavaScript regular expression, plain or as /pattern/flags; the condition holds when the text matches'),
	{
		displayName: 'Rules',
		name: 'rules',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Rule',
		default: {},
		description: 'Rules on the declared fields, e.g. boiling_over is true',
		displayOptions: ofType('fields'),
		options: [
			{
				name: 'rule',
				displayName: 'Rule',
				values: [
					{
						displayName: 'Field Name or ID',
						name: 'field',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getDeclaredFields', loadOptionsDependsOn: ['answerFields'] },
						default: '',
						description:
							'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
					},
					{
						displayName: 'Operator',
						name: 'operator',
						type: 'options',
						options: RULE_OPERATORS.map((value) => ({ name: OPERATOR_NAMES[value], value })).sort((a, b) => a.name.localeCompare(b.name)),
						default: 'is_true',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: '2',
						description: 'What to compare with; for Is One Of, the values separated by commas',
						displayOptions: { hide: { operator: ['is_true', 'is_false'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'Combine',
		name: 'combine',
		type: 'options',
		options: [
			{ name: 'All Rules Hold', value: 'all' },
			{ name: 'Any Rule Holds', value: 'any' },
		],
		default: 'all',
		displayOptions: ofType('fields'),
	},
	{
		...episodeOption('startAfterWindows'),
		type: 'number',
		default: 1,
		description: 'An episode starts when the condition has held for this many windows in a row (about 5 s each): 1 alerts at once, more ignores flickers',
	},
	{
		...episodeOption('endAfterWindows'),
		type: 'number',
		default: 2,
		description: 'The episode ends when the condition has failed for this many windows in a row',
	},
	{
		...episodeOption('reminderMinutes'),
		type: 'number',
		default: 0,
		description: 'While an episode goes on, an episode_ongoing item every this many minutes; 0: none',
	},
	{
		...episodeOption('cooldownSeconds'),
		type: 'number',
		default: 0,
		description: 'No new episode starts within this many seconds after the last one ended; 0: none',
	},
];

/** Options-collection entries (the collection keeps them sorted by name with today's). */
export const eventOptions: INodeProperties[] = [
	{
		displayName: 'Emit Parse Errors',
		name: 'parseErrors',
		type: 'boolean',
		default: true,
		description:
			'Whether to start the workflow with a parse_error item (the raw answer and why) for a JSON answer that cannot be read. Off: they are only counted in the stream summary.',
	},
	{
		displayName: STALL_LABEL,
		name: 'stallSeconds',
		type: 'number',
		default: DEFAULT_STALL_SECONDS,
		typeOptions: { minValue: 0, maxValue: MAX_STALL_SECONDS },
		description:
			'An item that arrives after at least this many seconds without any callback carries gap_s (how long results stopped). n8n runs no timers in a trigger: a stall is only seen when results come back. 0: off.',
	},
	{
		displayName: 'Stream Summary',
		name: 'streamSummary',
		type: 'boolean',
		default: true,
		description:
			'Whether a stream that ends emits a stream_summary item (windows, matches, episodes, parse errors, billed time as an estimate) in place of the stream_ended item. Default: on for conditions and episodes, off for the other Emit choices. In n8n queue mode it counts the windows one webhook processor received: route this trigger\'s path to one processor.',
	},
];

type EventOptionValues = { parseErrors?: boolean; stallSeconds?: number; streamSummary?: boolean };

/** The event part of the gate settings, as the trigger's parameters set it. */
export function readEventSettings(context: IHookFunctions | IWebhookFunctions): Omit<GateSettings, 'filter' | 'ignoreDuplicates'> {
	const parameter = (name: string, fallback: unknown) => context.getNodeParameter(name, fallback);
	const emit = parameter('emit', 'all');
	const options = parameter('options', {}) as EventOptionValues;
	const settings: Omit<GateSettings, 'filter' | 'ignoreDuplicates'> = {
		answerFormat: readAnswerFormat(parameter),
		// Workflows saved before summaries existed expect a stream_ended item: summaries are theirs on request.
		summary: options.streamSummary ?? (emit === 'condition' || emit === 'episodes'),
		parseErrors: options.parseErrors !== false,
		stall: { seconds: options.stallSeconds ?? DEFAULT_STALL_SECONDS, report: 'gap' },
	};
	if (emit !== 'condition' && emit !== 'episodes') return settings;
	const type = parameter('conditionType', 'fields');
	const caseSensitive = (options as { caseSensitive?: boolean }).caseSensitive === true;
	settings.emit = emit;
	if (type === 'keywords') settings.condition = { type, keywords: parameter('keywords', '') as string, caseSensitive };
	else if (type === 'regex') settings.condition = { type, pattern: parameter('regex', '') as string, caseSensitive };
	else {
		const rules = parameter('rules', {}) as { rule?: unknown };
		settings.condition = { type: 'fields', combine: parameter('combine', 'all') as 'all' | 'any', rules: Array.isArray(rules?.rule) ? rules.rule : [], caseSensitive };
	}
	if (emit === 'episodes') {
		// Missing: the core's default (the parameters' defaults are the same numbers).
		settings.episodes = {
			startAfterWindows: parameter('startAfterWindows', undefined),
			endAfterWindows: parameter('endAfterWindows', undefined),
			reminderMinutes: parameter('reminderMinutes', undefined),
			cooldownSeconds: parameter('cooldownSeconds', undefined),
		};
	}
	return settings;
}

/** The declared fields, for the rules' Field list (in the editor). */
export async function getDeclaredFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const rows = this.getCurrentNodeParameter('answerFields') as { field?: Array<{ name?: unknown; type?: unknown }> } | undefined;
	return (rows?.field ?? [])
		.filter((f): f is { name: string; type?: unknown } => typeof f.name === 'string' && f.name.trim() !== '')
		.map((f) => ({ name: f.name.trim(), value: f.name.trim(), description: typeof f.type === 'string' ? f.type : undefined }));
}
