// The results node's settings as the core's gate reads them. The editor validates with the same
// core rules (memories-live-editor.ts); older flows, without the event properties, keep today's
// behaviour: every result or their filter, stream_ended on output 2, no summary.
import type { ConditionInput, GateSettings } from '../../../core';
import type { ResultsProperties } from './properties';

function conditionOf(props: ResultsProperties): ConditionInput {
	const caseSensitive = props.caseSensitive === true;
	switch (props.conditionType) {
		case 'keywords':
			return { type: 'keywords', keywords: props.keywords, caseSensitive };
		case 'regex':
			return { type: 'regex', pattern: props.regex, caseSensitive };
		default:
			return { type: 'fields', combine: props.combine, rules: props.rules ?? [], caseSensitive };
	}
}

export function resultsGateSettings(props: ResultsProperties): GateSettings {
	const emit = props.emit || 'all';
	const settings: GateSettings = {
		filter: { mode: emit === 'condition' || emit === 'episodes' ? 'all' : emit, keywords: props.keywords, pattern: props.regex, caseSensitive: props.caseSensitive === true },
		ignoreDuplicates: props.ignoreDuplicates !== false,
		answerFormat: { mode: props.answerFormat ?? 'text', fields: props.answerFields ?? [] },
		summary: props.summary === true,
		stall: { seconds: props.stallSeconds, report: 'events' },
	};
	if (emit === 'condition' || emit === 'episodes') {
		settings.emit = emit;
		settings.condition = conditionOf(props);
	}
	if (emit === 'episodes') {
		settings.episodes = {
			startAfterWindows: props.startAfterWindows,
			endAfterWindows: props.endAfterWindows,
			reminderMinutes: props.reminderMinutes,
			cooldownSeconds: props.cooldownSeconds,
		};
	}
	return settings;
}
