// Answer Format, shown by both nodes with the same names: the Watch trigger and the action's Start
// compose the prompt from it (the core appends our JSON instruction), the trigger reads answers
// with it. A Receive trigger declares the same fields as the Start that sends it results.
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { ANSWER_FIELD_TYPES, AnswerFieldLimits, composeUserPrompt, validateAnswerFormat } from '../../core';
import type { ParameterReader } from './fields';

/** The Answer Format as set: `{mode, fields}` for the core to check (validateAnswerFormat). */
export function readAnswerFormat(parameter: ParameterReader): { mode: unknown; fields: unknown } {
	const mode = parameter('answerFormat', 'text');
	const rows = parameter('answerFields', {}) as { field?: unknown };
	return { mode, fields: rows && typeof rows === 'object' && Array.isArray(rows.field) ? rows.field : [] };
}

/**
 * The user prompt to send: with JSON fields, the prompt and our answer instruction.
 * @throws InputError for an invalid field list (before anything is sent)
 */
export function composePrompt(parameter: ParameterReader): unknown {
	const prompt = parameter('userPrompt', '');
	const format = readAnswerFormat(parameter);
	const checked = validateAnswerFormat(format.mode, format.fields);
	// A prompt that is not text is the core's to refuse (validateStartInput), with its own message.
	return typeof prompt === 'string' ? composeUserPrompt(prompt, checked) : prompt;
}

const TYPE_NAMES: Record<(typeof ANSWER_FIELD_TYPES)[number], { name: string; description: string }> = {
	boolean: { name: 'True or False', description: 'Yes/no questions, e.g. "Is the pan boiling over?"' },
	number: { name: 'Number', description: 'Counts and measures, e.g. "How many people are in view?"' },
	enum: { name: 'One of a List', description: 'One of the values listed in Options' },
	string: { name: 'Text', description: 'A short free-text answer' },
};

export function answerFormatFields(displayOptions?: IDisplayOptions): INodeProperties[] {
	const json = { ...displayOptions, show: { ...displayOptions?.show, answerFormat: ['json'] } };
	return [
		{
			displayName: 'Answer Format',
			name: 'answerFormat',
			type: 'options',
			options: [
				{ name: 'Text', value: 'text', description: "The model's answer as it writes it" },
				{
					name: 'JSON Fields',
					value: 'json',
					description:
						'The model answers each window with the fields below (an instruction is added to the prompt); every item carries them, typed, in "fields"',
				},
			],
			default: 'text',
			description: 'How the model answers each frame window',
			...(displayOptions ? { displayOptions } : {}),
		},
		{
			displayName: 'Fields',
			name: 'answerFields',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true, sortable: true },
			placeholder: 'Add Field',
			default: {},
			description: `What the model must answer, at most ${AnswerFieldLimits.fields} fields. Answers that cannot be read as these fields become parse_error items.`,
			displayOptions: json,
			options: [
				{
					name: 'field',
					displayName: 'Field',
					values: [
						{
							displayName: 'Name',
							name: 'name',
							type: 'string',
							default: '',
							placeholder: 'boiling_over',
							description: 'Letters, digits and _ (starting with a letter or _); items carry it as fields.&lt;name&gt;',
						},
						{
							displayName: 'Type',
							name: 'type',
							type: 'options',
							options: ANSWER_FIELD_TYPES.map((value) => ({ value, ...TYPE_NAMES[value] })),
							default: 'boolean',
						},
						{
							displayName: 'Options',
							name: 'options',
							type: 'string',
							default: '',
							placeholder: 'calm, simmering, boiling',
							description: 'The values the model may answer, separated by commas',
							displayOptions: { show: { type: ['enum'] } },
						},
						{
							displayName: 'Description',
							name: 'description',
							type: 'string',
							default: '',
							placeholder: 'Is the pan boiling over?',
							description: 'The question, in a few words: the model reads it',
						},
					],
				},
			],
		},
	];
}
