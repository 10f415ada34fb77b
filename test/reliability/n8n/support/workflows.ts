// Workflows the reliability tests import: triggers whose items go to the sink, and the action
// node's Start → Stop with "On Error: Continue (using error output)" routing errors to the sink.
export const PACKAGE = 'n8n-nodes-memories-live-video';
export const CREDENTIAL_TYPE = 'memoriesLiveVideoApi';

export interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	webhookId?: string;
	onError?: string;
	credentials?: Record<string, { id: string; name: string }>;
}

export interface Workflow {
	id: string;
	name: string;
	active: false;
	nodes: WorkflowNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }>;
	settings: Record<string, unknown>;
	pinData: Record<string, unknown>;
}

/** n8n's HTTP Request node posting the item it gets to `url`. */
export function postToSink(id: string, name: string, url: string, position: [number, number]): WorkflowNode {
	return {
		id,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position,
		parameters: {
			method: 'POST',
			url,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify($json) }}',
			options: {},
		},
	};
}

const link = (node: string) => [{ node, type: 'main' as const, index: 0 }];

/** Trigger → sink. `credentialId` for Watch mode. */
export function triggerWorkflow(options: {
	id: string;
	webhookId: string;
	parameters: Record<string, unknown>;
	sinkUrl: string;
	credentialId?: string;
	/** 1.1 is what the editor creates; 1 is what workflows made before it keep. */
	typeVersion?: 1 | 1.1;
}): Workflow {
	const { id } = options;
	return {
		id,
		name: `reliability ${id}`,
		active: false,
		nodes: [
			{
				id: `${id}-trigger`,
				name: 'Trigger',
				type: `${PACKAGE}.memoriesLiveVideoTrigger`,
				typeVersion: options.typeVersion ?? 1.1,
				position: [0, 0],
				webhookId: options.webhookId,
				parameters: { emit: 'all', options: {}, ...options.parameters },
				...(options.credentialId
					? { credentials: { [CREDENTIAL_TYPE]: { id: options.credentialId, name: options.credentialId } } }
					: {}),
			},
			postToSink(`${id}-sink`, 'Sink', options.sinkUrl, [260, 0]),
		],
		connections: { Trigger: { main: [link('Sink')] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

export function watchParameters(rtmpUrl: string): Record<string, unknown> {
	return {
		mode: 'watch',
		rtmpUrl,
		userPrompt: 'Describe what happens at the door.',
		systemPrompt: 'You are a real-time video monitoring system.',
		thinking: false,
		maxDurationMinutes: 0,
	};
}

/**
 * Manual → Start → Stop (the task id Start returned) → sink `/<id>/stopped`; the error outputs of
 * Start and Stop go to `/<id>/start-error` and `/<id>/stop-error`.
 */
export function startStopWorkflow(options: { id: string; credentialId: string; sinkUrl: string; callbackUrl: string }): Workflow {
	const { id, sinkUrl } = options;
	const memories = (name: string, parameters: Record<string, unknown>, position: [number, number]): WorkflowNode => ({
		id: `${id}-${name.toLowerCase()}`,
		name,
		type: `${PACKAGE}.memoriesLiveVideo`,
		typeVersion: 1,
		position,
		onError: 'continueErrorOutput',
		parameters: { resource: 'stream', ...parameters },
		credentials: { [CREDENTIAL_TYPE]: { id: options.credentialId, name: options.credentialId } },
	});
	return {
		id,
		name: `reliability ${id}`,
		active: false,
		nodes: [
			{ id: `${id}-manual`, name: 'Manual', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			memories(
				'Start',
				{
					operation: 'start',
					rtmpUrl: 'rtmp://camera.example.com:1935/live/door',
					userPrompt: 'Is anyone at the door?',
					systemPrompt: 'You are a real-time video monitoring system.',
					callbackUrl: options.callbackUrl,
					thinking: false,
				},
				[220, 0],
			),
			memories('Stop', { operation: 'stop', taskId: '={{ $json.task_id }}', options: {} }, [440, 0]),
			postToSink(`${id}-stopped`, 'Stopped', `${sinkUrl}/${id}/stopped`, [660, 0]),
			postToSink(`${id}-start-error`, 'Start error', `${sinkUrl}/${id}/start-error`, [440, 200]),
			postToSink(`${id}-stop-error`, 'Stop error', `${sinkUrl}/${id}/stop-error`, [660, 200]),
		],
		connections: {
			Manual: { main: [link('Start')] },
			Start: { main: [link('Stop'), link('Start error')] },
			Stop: { main: [link('Stopped'), link('Stop error')] },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}
