import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IHookFunctions,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { MIN_SECRET_LENGTH } from '../../core';
import { answerFormatFields } from '../shared/answer-format';
import { FILTER_OPTIONS, keywordsField, regexField, stopAfterField, streamFields } from '../shared/fields';
import { CREDENTIAL_TYPE } from '../shared/transport';
import { EVENT_EMIT_OPTIONS, eventOptions, eventProperties, getDeclaredFields } from './event-settings';
import { startWatching, stopWatching, streamExists } from './lifecycle';
import { receiveCallback } from './receiver';

const watch = { show: { mode: ['watch'] } };
const receive = { show: { mode: ['receive'] } };
const byName = (a: { name?: string; displayName?: string }, b: { name?: string; displayName?: string }) =>
	(a.displayName ?? a.name ?? '').localeCompare(b.displayName ?? b.name ?? '');

export class MemoriesLiveVideoTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Memories.ai Live Video Trigger',
		name: 'memoriesLiveVideoTrigger',
		icon: { light: 'file:../../icons/memories.svg', dark: 'file:../../icons/memories.dark.svg' },
		group: ['trigger'],
		// 1.1: the same node. n8n evaluates an expression in its sandbox for every webhook call of a
		// version-1 node (a legacy binary-data option of its Webhook node); from 1.1 it does not.
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["mode"] === "receive" ? "Receive results" : "Watch a stream"}}',
		description: 'Starts the workflow with each analysis result of a live video stream',
		defaults: { name: 'Memories.ai Live Video Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Watch mode needs it (activation says so when it is missing); Receive mode uses it, when set,
		// to stop streams past their Stop After deadline. n8n finds a credential by its first entry,
		// so one entry serves both modes.
		credentials: [{ name: CREDENTIAL_TYPE, required: false }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: 'noData', path: 'results' }],
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Receive Results of Streams Started Elsewhere',
						value: 'receive',
						description: 'Only receive results; start streams with the Memories.ai Live Video node or any other client',
					},
					{
						name: 'Watch a Stream',
						value: 'watch',
						description:
							'Start analysing the stream when the workflow is activated, stop when it is deactivated',
					},
				],
				default: 'watch',
			},
			{
				displayName:
					'While this workflow is active, memories.ai analyses the stream and bills every 5 seconds. Deactivating the workflow stops the stream. "Listen for test event" starts a stream too and stops it after the first result.',
				name: 'watchNotice',
				type: 'notice',
				default: '',
				displayOptions: watch,
			},
			...streamFields(watch),
			stopAfterField(
				watch,
				0,
				'Stop the stream after this many minutes and emit a stream-ended item (checked as results arrive; deactivating the workflow stops it too). 0 means never.',
			),
			{
				displayName: 'Callback Token',
				name: 'callbackToken',
				type: 'string',
				typeOptions: { password: true },
				required: true,
				default: '',
				description: `A secret of at least ${MIN_SECRET_LENGTH} random characters that every callback must carry. Callbacks without it are refused (401) and never start the workflow.`,
				displayOptions: receive,
			},
			{
				displayName:
					"Callback URL to give memories.ai (e.g. in the Memories.ai Live Video node's Start): this node's Production URL followed by ?token= and the Callback Token above.",
				name: 'receiveNotice',
				type: 'notice',
				default: '',
				displayOptions: receive,
			},
			...answerFormatFields(),
			{
				displayName:
					"The credential is optional here: with it, this trigger stops a stream at the first result past its Stop After deadline (set on the Start that started it) and emits a stream-ended item. Without it such results are still received, a warning is logged, and the stream bills until it is stopped elsewhere.",
				name: 'receiveCredentialNotice',
				type: 'notice',
				default: '',
				displayOptions: receive,
			},
			{
				displayName: 'Emit',
				name: 'emit',
				type: 'options',
				options: [...FILTER_OPTIONS, ...EVENT_EMIT_OPTIONS].sort(byName),
				default: 'all',
				description: 'Which results start the workflow. Stream-ended items (or stream summaries) are always emitted.',
			},
			{
				displayName:
					"n8n queue mode with several webhook processors: each processor remembers only the results it received, so text changes, episodes and summaries are decided per processor. Route this trigger's Production URL path to one webhook processor to keep them exact (README, Queue mode).",
				name: 'queueModeNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { emit: ['changes', 'episodes'] } },
			},
			keywordsField({ show: { emit: ['keywords'] } }, 'Comma-separated; a result that contains any of them starts the workflow'),
			regexField({ show: { emit: ['regex'] } }, 'A JavaScript regular expression, plain or as /pattern/flags'),
			...eventProperties,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Case Sensitive',
						name: 'caseSensitive',
						type: 'boolean',
						default: false,
						description: 'Whether keywords and a plain regular expression must match upper and lower case exactly',
					},
					{
						displayName: 'Ignore Duplicates',
						name: 'ignoreDuplicates',
						type: 'boolean',
						default: true,
						description:
							'Whether to drop a result that arrives again for the same stream and frame window (delivery is not guaranteed to be exactly once). In n8n queue mode each webhook processor remembers on its own: route this trigger\'s path to one processor to drop every repeat.',
					},
					...eventOptions,
				].sort(byName) as INodeProperties[],
			},
		],
	};

	methods = { loadOptions: { getDeclaredFields } };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return streamExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return startWatching.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return stopWatching.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return receiveCallback.call(this);
	}
}
