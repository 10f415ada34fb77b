// The results node's event settings in its edit dialog: the field list (answer format), the rule
// list (like the Switch node's), the episode options, and the validators, which run the core's
// own rules (answers.ts, conditions.ts, episodes.ts, stall.ts) so that the editor and the runtime
// cannot disagree. Part of the editor bundle (memories-live-editor.ts).
import type * as answers from '../../../core/answers';
import { ANSWER_FIELD_TYPES, validateAnswerFields } from '../../../core/answers';
import type * as conditions from '../../../core/conditions';
import { OPERATORS_BY_TYPE, RULE_OPERATORS, RULE_OPERATOR_LABELS, compileCondition } from '../../../core/conditions';
import { DEFAULT_EPISODE_OPTIONS, EpisodeOptionLimits, validateEpisodeOptions } from '../../../core/episodes';
import { DEFAULT_STALL_SECONDS, MAX_STALL_SECONDS, validateStallSeconds } from '../../../core/stall';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const $: any;

type Node = Record<string, unknown>;
type Translate = (key: string, substitutions?: Record<string, unknown>) => string;
type Check = (opt: unknown, check: () => unknown) => true | string | false;

const TYPE = 'memories-live-results';
const EPISODE_KEYS = ['startAfterWindows', 'endAfterWindows', 'reminderMinutes', 'cooldownSeconds'] as const;

/** The values the validators see: the open dialog's (mid-edit) or else the node's. */
function value(node: Node, property: string): unknown {
	const input = $(`#node-input-${property}`);
	if (input.length === 0) return node[property];
	return input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
}

const usesCondition = (node: Node) => ['condition', 'episodes'].includes(String(value(node, 'emit')));
const conditionType = (node: Node) => String(value(node, 'conditionType') || 'fields');

/** Whether the node's Keywords (or Expression) apply: today's filter, or a text condition. */
export function usesText(node: Node, type: 'keywords' | 'regex'): boolean {
	return value(node, 'emit') === type || (usesCondition(node) && conditionType(node) === type);
}

/** The declared fields while the dialog is open (its rows), else the node's. */
let liveFields: (() => answers.AnswerFieldInput[]) | undefined;
let liveRules: (() => conditions.FieldRuleInput[]) | undefined;
const fieldsOf = (node: Node) => (liveFields ? liveFields() : ((node.answerFields as answers.AnswerFieldInput[] | undefined) ?? []));
const isJson = (node: Node) => value(node, 'answerFormat') === 'json';

export function validators(check: Check) {
	return {
		answerFields(this: Node, v: unknown, opt: unknown) {
			const node = this;
			return !isJson(node) ? true : check(opt, () => validateAnswerFields(liveFields ? liveFields() : v));
		},
		rules(this: Node, v: unknown, opt: unknown) {
			const node = this;
			if (!usesCondition(node) || conditionType(node) !== 'fields') return true;
			return check(opt, () => {
				const declared = isJson(node) ? validateAnswerFields(fieldsOf(node)) : [];
				compileCondition({ type: 'fields', combine: value(node, 'combine') as conditions.RuleCombination, rules: liveRules ? liveRules() : v }, declared);
			});
		},
		episode(key: (typeof EPISODE_KEYS)[number]) {
			return function (this: Node, v: unknown, opt: unknown) {
				return value(this, 'emit') !== 'episodes' ? true : check(opt, () => validateEpisodeOptions({ [key]: v }));
			};
		},
		stallSeconds(v: unknown, opt: unknown) {
			return check(opt, () => validateStallSeconds(v));
		},
	};
}

function fieldRow(t: Translate, container: any, data: answers.AnswerFieldInput, changed: () => void): void {
	const row = $('<div style="display: flex; gap: 4px; align-items: center;"></div>').appendTo(container);
	const name = $('<input type="text" class="memories-field-name" style="width: 24%;">').attr('placeholder', t('events.placeholder.name')).val(data.name ?? '').appendTo(row);
	const type = $('<select class="memories-field-type" style="width: 18%;"></select>').appendTo(row);
	for (const option of ANSWER_FIELD_TYPES) $('<option>').val(option).text(t(`events.type.${option}`)).appendTo(type);
	type.val(typeof data.type === 'string' ? data.type : 'boolean');
	const options = $('<input type="text" class="memories-field-options" style="width: 22%;">')
		.attr('placeholder', t('events.placeholder.options'))
		.val(Array.isArray(data.options) ? data.options.join(', ') : String(data.options ?? ''))
		.appendTo(row);
	const description = $('<input type="text" class="memories-field-description" style="flex: 1;">').attr('placeholder', t('events.placeholder.description')).val(data.description ?? '').appendTo(row);
	const showOptions = () => options.css('visibility', type.val() === 'enum' ? 'visible' : 'hidden');
	type.on('change', () => {
		showOptions();
		changed();
	});
	name.on('change keyup', changed);
	showOptions();
	void description;
}

function readFields(list: any): answers.AnswerFieldInput[] {
	const fields: answers.AnswerFieldInput[] = [];
	list.editableList('items').each(function (this: unknown) {
		const row = $(this);
		const type = row.find('.memories-field-type').val();
		fields.push({
			name: String(row.find('.memories-field-name').val() ?? '').trim(),
			type,
			...(type === 'enum' ? { options: String(row.find('.memories-field-options').val() ?? '') } : {}),
			description: String(row.find('.memories-field-description').val() ?? ''),
		});
	});
	return fields;
}

function ruleRow(t: Translate, container: any, data: conditions.FieldRuleInput, declared: () => answers.AnswerFieldInput[]): void {
	const row = $('<div style="display: flex; gap: 4px; align-items: center;"></div>').appendTo(container);
	const field = $('<select class="memories-rule-field" style="width: 34%;"></select>').appendTo(row);
	const operator = $('<select class="memories-rule-operator" style="width: 22%;"></select>').appendTo(row);
	const input = $('<input type="text" class="memories-rule-value" style="flex: 1;">').attr('placeholder', t('events.placeholder.value')).val(data.value === undefined ? '' : String(data.value)).appendTo(row);
	const fillFields = () => {
		const selected = field.val() || data.field;
		field.empty();
		const names = declared().map((f) => String(f.name ?? '')).filter((n) => n !== '');
		if (typeof selected === 'string' && selected !== '' && !names.includes(selected)) names.push(selected); // kept: the validator names it
		for (const name of names) $('<option>').val(name).text(name).appendTo(field);
		field.val(selected && names.includes(String(selected)) ? selected : names[0]);
	};
	const fillOperators = () => {
		const selected = operator.val() || data.operator;
		const declaredField = declared().find((f) => f.name === field.val());
		const type = (typeof declaredField?.type === 'string' ? declaredField.type : 'boolean') as answers.AnswerFieldType;
		const allowed = OPERATORS_BY_TYPE[type] ?? RULE_OPERATORS;
		operator.empty();
		for (const op of allowed) $('<option>').val(op).text(RULE_OPERATOR_LABELS[op]).appendTo(operator);
		operator.val(allowed.includes(selected as conditions.RuleOperator) ? selected : allowed[0]);
		input.toggle(operator.val() !== 'is_true' && operator.val() !== 'is_false');
	};
	field.on('change', fillOperators);
	operator.on('change', () => input.toggle(operator.val() !== 'is_true' && operator.val() !== 'is_false'));
	row.data('refresh', () => {
		fillFields();
		fillOperators();
	});
	fillFields();
	fillOperators();
}

function readRules(list: any): conditions.FieldRuleInput[] {
	const rules: conditions.FieldRuleInput[] = [];
	list.editableList('items').each(function (this: unknown) {
		const row = $(this);
		const operator = row.find('.memories-rule-operator').val();
		const rule: conditions.FieldRuleInput = { field: row.find('.memories-rule-field').val(), operator };
		if (operator !== 'is_true' && operator !== 'is_false') rule.value = String(row.find('.memories-rule-value').val() ?? '');
		rules.push(rule);
	});
	return rules;
}

/**
 * What a node saved before these settings existed runs with (the runtime's defaults for a missing
 * property), so that its dialog shows that rather than blank fields. Sending a summary is off for
 * such nodes (their flows keep the stream_ended message): its unchecked box already says so.
 */
const RUNS_WITH_WHEN_MISSING: Record<string, string | number> = {
	answerFormat: 'text',
	conditionType: 'fields',
	combine: 'all',
	...DEFAULT_EPISODE_OPTIONS,
	stallSeconds: DEFAULT_STALL_SECONDS,
};

/** oneditprepare: the lists, the spinners, and which rows show for the settings chosen. */
export function prepare(node: Node, t: Translate): void {
	for (const [key, fallback] of Object.entries(RUNS_WITH_WHEN_MISSING)) {
		if (node[key] === undefined || node[key] === null || node[key] === '') $(`#node-input-${key}`).val(fallback);
	}
	const fieldsList = $('#memories-live-results-fields');
	const rulesList = $('#memories-live-results-rules');
	const refreshRules = () => rulesList.editableList('items').each(function (this: unknown) { $(this).find('.memories-rule-field').closest('div').data('refresh')?.(); });
	fieldsList.editableList({
		addItem: (container: any, _index: number, data: answers.AnswerFieldInput) => fieldRow(t, container, data, refreshRules),
		removeItem: refreshRules,
		sortable: true,
		removable: true,
		height: 'auto',
		addButton: t('events.label.addField'),
	});
	for (const field of (node.answerFields as answers.AnswerFieldInput[] | undefined) ?? []) fieldsList.editableList('addItem', field);
	liveFields = () => readFields(fieldsList);
	rulesList.editableList({
		addItem: (container: any, _index: number, data: conditions.FieldRuleInput) => ruleRow(t, container, data, () => readFields(fieldsList)),
		sortable: true,
		removable: true,
		height: 'auto',
		addButton: t('events.label.addRule'),
	});
	for (const rule of (node.rules as conditions.FieldRuleInput[] | undefined) ?? []) rulesList.editableList('addItem', rule);
	liveRules = () => readRules(rulesList);

	for (const key of EPISODE_KEYS) {
		const limits = EpisodeOptionLimits[key];
		$(`#node-input-${key}`).spinner({ min: limits.min, max: limits.max });
	}
	$('#node-input-stallSeconds').spinner({ min: 0, max: MAX_STALL_SECONDS });

	const show = () => {
		const emit = String($('#node-input-emit').val());
		const condition = emit === 'condition' || emit === 'episodes';
		const type = String($('#node-input-conditionType').val() || 'fields');
		$('.memories-live-results-row-fields').toggle($('#node-input-answerFormat').val() === 'json');
		$('.memories-live-results-row-condition').toggle(condition);
		$('.memories-live-results-row-rules').toggle(condition && type === 'fields');
		$('.memories-live-results-row-episodes').toggle(emit === 'episodes');
		const keywords = emit === 'keywords' || (condition && type === 'keywords');
		const regex = emit === 'regex' || (condition && type === 'regex');
		$('.memories-live-results-row-keywords').toggle(keywords);
		$('.memories-live-results-row-regex').toggle(regex);
		$('.memories-live-results-row-case').toggle(keywords || regex || (condition && type === 'fields'));
	};
	$('#node-input-answerFormat, #node-input-emit, #node-input-conditionType').on('change', show);
	show();
}

/** oneditsave: the lists back into the node's properties. */
export function save(node: Node): void {
	if (liveFields) node.answerFields = liveFields();
	if (liveRules) node.rules = liveRules();
	close();
}

/** oneditcancel / after save: validators read the node's own values again. */
export function close(): void {
	liveFields = undefined;
	liveRules = undefined;
}

/** The start node's dialog: which fields its results node declares ("" when it reads text). */
export function declaredFieldNames(results: Node | undefined): string {
	if (!results || results.answerFormat !== 'json') return '';
	return ((results.answerFields as answers.AnswerFieldInput[] | undefined) ?? []).map((f) => String(f.name ?? '')).filter((n) => n !== '').join(', ');
}

export { TYPE as RESULTS_TYPE };
