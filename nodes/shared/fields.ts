// Editor fields both nodes show for starting a stream, with the same names, help and defaults,
// and the one place they are read.
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_SYSTEM_PROMPT, FilterMode, MAX_DURATION_LIMIT_MINUTES, StartInput } from '../../core';

/** A node parameter by name (per item for the action node, per node for the trigger). */
export type ParameterReader = (name: string, fallback: unknown) => unknown;

/** The stream fields as set, for the core to validate; the callback URL is each node's own. */
export function readStreamFields(parameter: ParameterReader): Omit<StartInput, 'callbackUrl'> {
	return {
		rtmpUrl: parameter('rtmpUrl', ''),
		userPrompt: parameter('userPrompt', ''),
		systemPrompt: parameter('systemPrompt', DEFAULT_SYSTEM_PROMPT),
		thinking: parameter('thinking', false),
	};
}

export function streamFields(displayOptions: IDisplayOptions): INodeProperties[] {
	return [
		{
			displayName: 'RTMP URL',
			name: 'rtmpUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'rtmp://camera.example.com:1935/live/stream',
			description:
				'Address of the live stream (rtmp:// or rtmps://) that memories.ai pulls. It must be reachable from the internet; video files are not supported.',
			displayOptions,
		},
		{
			displayName: 'User Prompt',
			name: 'userPrompt',
			type: 'string',
			required: true,
			default: '',
			typeOptions: { rows: 3 },
			placeholder: 'Tell me when the pan is boiling over.',
			description: 'What to look for in each frame window of about 5 seconds',
			displayOptions,
		},
		{
			displayName: 'System Prompt',
			name: 'systemPrompt',
			type: 'string',
			default: DEFAULT_SYSTEM_PROMPT,
			typeOptions: { rows: 2 },
			description: "The model's role and context. Left empty, the default is used.",
			displayOptions,
		},
		{
			displayName: 'Thinking',
			name: 'thinking',
			type: 'boolean',
			default: false,
			description: "Whether to use the model's reasoning mode (slower, more thorough answers)",
			displayOptions,
		},
	];
}

/**
 * Stop After: one setting, one name, for both nodes (the parameter keeps the name the trigger's
 * "Maximum Duration" had, so that saved workflows keep their value).
 */
export function stopAfterField(displayOptions: IDisplayOptions, defaultMinutes: number, description: string): INodeProperties {
	return {
		displayName: 'Stop After (Minutes)',
		name: 'maxDurationMinutes',
		type: 'number',
		default: defaultMinutes,
		typeOptions: { minValue: 0, maxValue: MAX_DURATION_LIMIT_MINUTES },
		description,
		displayOptions,
	};
}

/** The text test's Keywords, for Emit's filter and for a condition (n8n shows one of them at a time). */
export function keywordsField(displayOptions: IDisplayOptions, description: string): INodeProperties {
	return { displayName: 'Keywords', name: 'keywords', type: 'string', default: '', required: true, placeholder: 'smoke, fire, boiling over', description, displayOptions };
}

/** The text test's Regular Expression, for Emit's filter and for a condition. */
export function regexField(displayOptions: IDisplayOptions, description: string): INodeProperties {
	return { displayName: 'Regular Expression', name: 'regex', type: 'string', default: '', required: true, placeholder: 'boil(ing|ed)? over', description, displayOptions };
}

export const FILTER_OPTIONS: Array<{ name: string; value: FilterMode; description: string }> = [
	{ name: 'Every Result', value: 'all', description: 'Start the workflow for every frame window' },
	{
		name: 'Only When the Text Changes',
		value: 'changes',
		description: 'Skip results that repeat the previous text of the same stream',
	},
	{
		name: 'Only When It Contains a Keyword',
		value: 'keywords',
		description: 'Start the workflow only for results that mention one of the keywords',
	},
	{
		name: 'Only When It Matches a Regular Expression',
		value: 'regex',
		description: 'Start the workflow only for results whose text matches the expression',
	},
];
