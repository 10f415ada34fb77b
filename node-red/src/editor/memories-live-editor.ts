// The editor's script, shared by the four nodes' edit dialogs (each .html loads it; it sets itself
// up once): validators call the very rules the runtime applies, so the editor and the runtime
// cannot disagree. Bundled for the browser from the core's sources (gulpfile.js) into the
// package's resources/. Only browser-safe parts of the core are imported: no secret checks, which
// need Node's crypto (esbuild refuses to bundle a Node module for the browser).
import { ANSWER_FIELD_TYPES, validateAnswerFields, validateAnswerFormat } from '../../../core/answers';
import * as callbackUrl from '../../../core/callback-url';
import { OPERATORS_BY_TYPE, RULE_OPERATORS, RULE_OPERATOR_LABELS, compileCondition } from '../../../core/conditions';
import * as contract from '../../../core/contract';
import { validateDailyBudget } from '../../../core/cost';
import { DEFAULT_EPISODE_OPTIONS, EpisodeOptionLimits, validateEpisodeOptions } from '../../../core/episodes';
import * as filter from '../../../core/filter';
import { EMIT_MODES } from '../../../core/gate-settings';
import * as maxDuration from '../../../core/max-duration';
import * as secrets from '../../../core/secrets';
import { DEFAULT_STALL_SECONDS, MAX_STALL_SECONDS, validateStallSeconds } from '../../../core/stall';
import * as validate from '../../../core/validate';
import * as resultsEvents from './results-events';

/** The parts of the editor's globals used here. */
declare const RED: {
	nodes: { getType(type: string): { _(key: string, substitutions?: Record<string, unknown>): string } };
	settings?: { httpNodeRoot?: unknown };
};
declare const $: (selector: string) => {
	length: number;
	attr(name: string): string | undefined;
	prop(name: string): unknown;
	val(): unknown;
};

const core = {
	...contract,
	...validate,
	...callbackUrl,
	...filter,
	...maxDuration,
	...secrets,
	// Events (issue 13): the rules the editor checks (named: the bundle keeps only what it uses).
	ANSWER_FIELD_TYPES,
	validateAnswerFields,
	validateAnswerFormat,
	OPERATORS_BY_TYPE,
	RULE_OPERATORS,
	RULE_OPERATOR_LABELS,
	compileCondition,
	DEFAULT_EPISODE_OPTIONS,
	EpisodeOptionLimits,
	validateEpisodeOptions,
	DEFAULT_STALL_SECONDS,
	MAX_STALL_SECONDS,
	validateStallSeconds,
	validateDailyBudget,
	EMIT_MODES,
	/** The editor's name for checking "Emit" settings: throws InputError as the runtime would. */
	createResultFilter: filter.compileFilter,
};

const editor = {
	core,

	/** A message from a node type's catalogue (works before a node of the type exists). */
	t(type: string, key: string, substitutions?: Record<string, unknown>): string {
		return RED.nodes.getType(type)._(`${type}.${key}`, substitutions);
	},

	/**
	 * A validator's answer from a core check: true when `check` passes, else the core's own
	 * message for Node-RED 3.1+ (which passes `opt` and shows it), plain false for older editors.
	 */
	check(opt: unknown, check: () => unknown): true | string | false {
		try {
			check();
			return true;
		} catch (err) {
			return opt ? String((err as Error | undefined)?.message || err) : false;
		}
	},

	/** A failed check with a message from the type's catalogue (see `check`). */
	invalid(opt: unknown, type: string, key: string, substitutions?: Record<string, unknown>): string | false {
		return opt ? editor.t(type, key, substitutions) : false;
	},

	/** A value from the open edit dialog if there is one, else from the node itself. */
	current(node: Record<string, unknown>, property: string): unknown {
		const input = $(`#node-input-${property}`);
		if (input.length === 0) return node[property];
		return input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
	},

	/** The runtime's httpNodeRoot without a trailing slash ("" for "/"). */
	httpNodeRoot(): string {
		const root = typeof RED.settings?.httpNodeRoot === 'string' ? RED.settings.httpNodeRoot : '/';
		return root.replace(/\/+$/, '');
	},

	/** A new callback secret, made as the runtime makes its own. */
	newSecret: secrets.generateSecret,
};

/** The results node's event settings (fields, rules, episodes) in its dialog, and their validators. */
const events = {
	...resultsEvents,
	validate: resultsEvents.validators(editor.check),
	prepare: (node: Record<string, unknown>) => resultsEvents.prepare(node, (key, substitutions) => editor.t(resultsEvents.RESULTS_TYPE, key, substitutions)),
};
Object.assign(editor, { events });

const page = window as unknown as { MemoriesLiveVideo?: { core: typeof core; editor: typeof editor & { events: typeof events } } };
page.MemoriesLiveVideo ??= { core, editor: editor as typeof editor & { events: typeof events } };
