import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { startOutput } from '../../../../core';
import { answerFormatFields, composePrompt } from '../../../shared/answer-format';
import { readStreamFields, streamFields } from '../../../shared/fields';
import { streamClient } from '../../../shared/streams';
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
	...answerFormatFields({ show }),
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
	const parameter = (name: string, fallback: unknown) => this.getNodeParameter(name, itemIndex, fallback);
	const fields = { ...readStreamFields(parameter), userPrompt: composePrompt(parameter) };
	const started = await streamClient(this, session).start({ ...fields, callbackUrl: this.getNodeParameter('callbackUrl', itemIndex, '') });
	// What was sent, as the core validated it; this action never stops a stream by itself (0).
	return { ...startOutput(started) };
}
