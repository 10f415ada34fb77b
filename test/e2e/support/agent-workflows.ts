// The n8n workflows of the AI Agent end-to-end test, as a user builds them in the editor: a Webhook starts n8n's
// AI Agent, whose OpenAI chat model (pointed at the fake model API by its credential's Base URL) uses our action
// node as two tools, "start_stream" and "stop_stream" (the tool names the model sees are the node names).
import { PACKAGE, WorkflowNode } from '../../reliability/n8n/support/workflows';

/** The tool n8n makes of the action node (usableAsTool). */
export const ACTION_TOOL_TYPE = `${PACKAGE}.memoriesLiveVideoTool`;

export interface Credential {
	id: string;
	name: string;
}

/** An agent workflow: its sub-nodes connect to the agent by ai_languageModel and ai_tool. */
export interface Workflow {
	id: string;
	name: string;
	active: boolean;
	nodes: WorkflowNode[];
	connections: Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }>>>>;
	settings: Record<string, unknown>;
}

let nodeCounter = 0;
const nodeId = () => `a9e11a00-0000-4000-8000-${String(++nodeCounter).padStart(12, '0')}`;

/** `$fromAI()` as the editor's "Let the model define this parameter" writes it, with a description for the model. */
export const fromAi = (key: string, description: string) => `={{ $fromAI('${key}', ${JSON.stringify(description)}, 'string') }}`;

export interface AgentWorkflowOptions {
	id: string;
	/** The production webhook path that runs the agent. */
	path: string;
	openAi: Credential;
	memories: Credential;
	/** The OpenAI chat model node's "Use Responses API" (its default, on, for a new node). */
	responsesApi: boolean;
	/** The Callback URL as the Start tool node has it: fixed, or left to the model with `$fromAI`. */
	callbackUrl: string;
	/** More parameters of the Start tool node (e.g. its Stop After). */
	startParameters?: Record<string, unknown>;
}

export function agentWorkflow(o: AgentWorkflowOptions): Workflow {
	const tool = (name: string, parameters: Record<string, unknown>, y: number): WorkflowNode => ({
		id: nodeId(),
		name,
		type: ACTION_TOOL_TYPE,
		typeVersion: 1.1, // as a node added today: Stop After's default is 60 minutes
		position: [460, y],
		parameters: { resource: 'stream', ...parameters },
		credentials: { memoriesLiveVideoApi: o.memories },
	});
	const toAgent = (type: string) => ({ [type]: [[{ node: 'AI Agent', type, index: 0 }]] });
	return {
		id: o.id,
		name: `AI Agent with Memories.ai Live Video tools (${o.responsesApi ? 'Responses API' : 'Chat Completions'})`,
		active: false,
		nodes: [
			{
				id: nodeId(),
				name: 'Agent request',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: nodeId(),
				parameters: { httpMethod: 'POST', path: o.path, responseMode: 'lastNode', options: {} },
			},
			{
				id: nodeId(),
				name: 'AI Agent',
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: 3.1,
				position: [240, 0],
				parameters: { promptType: 'define', text: '={{ $json.body.prompt }}', options: {} },
			},
			{
				id: nodeId(),
				name: 'OpenAI Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				typeVersion: 1.3,
				position: [160, 220],
				parameters: { model: { __rl: true, mode: 'id', value: 'fake-model' }, responsesApiEnabled: o.responsesApi, options: {} },
				credentials: { openAiApi: o.openAi },
			},
			tool(
				'start_stream',
				{
					operation: 'start',
					rtmpUrl: fromAi('rtmp_url', 'The rtmp:// URL of the live stream to watch'),
					userPrompt: fromAi('prompt', 'What to look for in each 5-second frame window'),
					callbackUrl: o.callbackUrl,
					...o.startParameters,
				},
				220,
			),
			tool('stop_stream', { operation: 'stop', taskId: fromAi('task_id', 'The task_id that start_stream returned'), options: {} }, 400),
		],
		connections: {
			'Agent request': { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
			'OpenAI Chat Model': toAgent('ai_languageModel'),
			start_stream: toAgent('ai_tool'),
			stop_stream: toAgent('ai_tool'),
		},
		settings: { executionOrder: 'v1' },
	};
}
