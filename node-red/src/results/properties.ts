import type { AnswerFieldInput, EmitMode, FieldRuleInput, RuleCombination } from '../../../core';
import type { NodeDef } from '../lib/red';

/** A memories-live-results node as the editor saves it (the callback secret is a credential). */
export interface ResultsProperties extends NodeDef {
	/** Where callbacks arrive, under httpNodeRoot, e.g. /memories/results. */
	path?: string;
	/** Missing (older flows): every result. */
	emit?: EmitMode | '';
	keywords?: string;
	regex?: string;
	caseSensitive?: boolean;
	/** Missing (older flows): on. */
	ignoreDuplicates?: boolean;
	/**
	 * Optional: the memories-live-config node that stops streams started elsewhere (by n8n, another
	 * Node-RED) at their Stop After deadline. Streams started here are stopped with their own account.
	 */
	config?: string;
	// Events (issue 13); every one missing in older flows, which then work as before.
	/** `text` (missing) or `json`: answers read as the declared fields. */
	answerFormat?: 'text' | 'json';
	answerFields?: AnswerFieldInput[];
	/** For emit `condition` and `episodes`: rules on fields (missing: `fields`), keywords or an expression. */
	conditionType?: 'fields' | 'keywords' | 'regex';
	rules?: FieldRuleInput[];
	combine?: RuleCombination;
	startAfterWindows?: number | string;
	endAfterWindows?: number | string;
	reminderMinutes?: number | string;
	cooldownSeconds?: number | string;
	/** A stream_summary on output 2 at every stream end, in place of the stream_ended message. Missing (older flows): off. */
	summary?: boolean;
	/** Seconds without a callback before stream_stalled (output 3); 0 off. Missing: 30. */
	stallSeconds?: number | string;
}
