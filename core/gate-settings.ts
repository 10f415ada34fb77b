// The result gate's settings as editors give them, checked and compiled once (when a node is
// configured, and in the Node-RED editor): answer format, what to emit (today's filters, results
// that meet a condition, or episodes of it), summaries, parse errors and stalls.
import { AnswerFormat, validateAnswerFormat } from './answers';
import { AnswerReader, compileAnswerReader } from './answer-reader';
import { Condition, ConditionInput, compileCondition } from './conditions';
import { EpisodeOptions, validateEpisodeOptions } from './episodes';
import { InputError } from './errors';
import { FilterOptions, FilterRule, compileFilter } from './filter';
import { validateStallSeconds } from './stall';

/** Emit: today's filters (every result, changes, keywords, regex), results that meet the condition, or episodes. */
export type EmitMode = FilterOptions['mode'] | 'condition' | 'episodes';
export const EMIT_MODES: readonly EmitMode[] = ['all', 'changes', 'keywords', 'regex', 'condition', 'episodes'];

/** How a host reports stalls: with a timer (stream_stalled, then stream_resumed), or only as `gap_s` on the next item. */
export type StallReport = 'events' | 'gap';

export interface GateSettings {
	/** Today's "Emit" settings: every result, changes, keywords, regex. Ignored when `emit` is set. */
	filter: FilterOptions;
	/** Drop a delivery seen before for the same stream: same frame window timestamp and status. */
	ignoreDuplicates: boolean;
	/** Text (default), or JSON fields as the editor gives them (checked by validateAnswerFormat). */
	answerFormat?: { mode?: unknown; fields?: unknown };
	/** Results that meet `condition`, or episodes of it (then `filter` is not used). */
	emit?: 'condition' | 'episodes';
	condition?: ConditionInput;
	/** Episode options as the editor gives them (checked by validateEpisodeOptions). */
	episodes?: Partial<Record<keyof EpisodeOptions, unknown>>;
	/** A stream_summary item at every stream end, in place of the stream_ended item. Default off. */
	summary?: boolean;
	/** JSON answers that cannot be read go out as parse_error items (default); off: only counted (summary). */
	parseErrors?: boolean;
	/** Stall detection: seconds without a callback (validateStallSeconds; 0 off) and how the host reports it. */
	stall?: { seconds?: unknown; report: StallReport };
}

/** The settings checked and compiled: what the gate runs on. */
export interface CompiledGateSettings {
	answerFormat: AnswerFormat;
	/** JSON fields: reads each answer. */
	reader?: AnswerReader;
	emit: EmitMode;
	/** Today's filters (emit all, changes, keywords, regex). */
	filter?: FilterRule;
	/** Emit condition or episodes. */
	condition?: Condition;
	episodes?: EpisodeOptions;
	ignoreDuplicates: boolean;
	summary: boolean;
	parseErrors: boolean;
	/** 0: off. */
	stallSeconds: number;
	stallReport: StallReport;
}

/**
 * @throws InputError naming the setting to fix (Answer Format, Fields, Conditions, Keywords,
 * Regular Expression, an episode option, Stalled After)
 */
export function compileGateSettings(settings: GateSettings): CompiledGateSettings {
	const answerFormat = validateAnswerFormat(settings.answerFormat?.mode, settings.answerFormat?.fields);
	const declared = answerFormat.mode === 'json' ? answerFormat.fields : [];
	const emit: EmitMode = settings.emit ?? (settings.filter.mode || 'all');
	const compiled: CompiledGateSettings = {
		answerFormat,
		reader: answerFormat.mode === 'json' ? compileAnswerReader(answerFormat.fields) : undefined,
		emit,
		ignoreDuplicates: settings.ignoreDuplicates,
		summary: settings.summary === true,
		parseErrors: settings.parseErrors !== false,
		stallSeconds: settings.stall ? validateStallSeconds(settings.stall.seconds) : 0,
		stallReport: settings.stall?.report ?? 'gap',
	};
	if (emit === 'condition' || emit === 'episodes') {
		if (!settings.condition) throw new InputError('Conditions', 'Set the condition the answers must meet, e.g. boiling_over is true.');
		compiled.condition = compileCondition(settings.condition, declared);
		if (emit === 'episodes') compiled.episodes = validateEpisodeOptions(settings.episodes);
	} else {
		compiled.filter = compileFilter({ ...settings.filter, mode: emit });
	}
	return compiled;
}
