import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_SYSTEM_PROMPT, maskCallbackToken } from '../../../../core';
import { streamFields } from '../../../shared/fields';
import { startStream } from '../../../shared/streams';
import type { ApiSession } from '../../../shared/transport';

const show = { resource: ['stream'], operation: ['start'] };

export const startDescription: INodeProperties[] = [
	...streamFields({ show }),
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'https://n8n.example.com/webhook/…/results?token=…',
		description:
			'Public URL that receives every result, about every 5 seconds. To receive them in n8n, use the Production URL of a Memories.ai Live Video Trigger in "Receive Results" mode followed by ?token= and its Callback Token.',
		displayOptions: { show },
	},
	{
		displayName:
			'Every started stream is billed every 5 seconds until it is stopped or its source ends. Keep the task ID from the output and stop the stream with the Stop operation.',
		name: 'billingNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
];

export async function executeStart(this: IExecuteFunctions, itemIndex: number, session: ApiSession): Promise<IDataObject> {
	const input = {
		rtmpUrl: this.getNodeParameter('rtmpUrl', itemIndex),
		userPrompt: this.getNodeParameter('userPrompt', itemIndex),
		systemPrompt: this.getNodeParameter('systemPrompt', itemIndex, DEFAULT_SYSTEM_PROMPT),
		callbackUrl: this.getNodeParameter('callbackUrl', itemIndex),
		thinking: this.getNodeParameter('thinking', itemIndex, false),
	};
	// The output shows what was sent: the parameters as the core validated them.
	const { taskId, params } = await startStream(this, session, input);
	return {
		task_id: taskId,
		started_at: new Date().toISOString(),
		rtmp_url: params.rtmpUrl,
		user_prompt: params.userPrompt,
		system_prompt: params.systemPrompt,
		callback_url: maskCallbackToken(params.callbackUrl),
		thinking: params.thinking,
	};
}
