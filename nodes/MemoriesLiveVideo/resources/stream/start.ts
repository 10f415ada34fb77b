import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_STOP_AFTER_MINUTES, deadlineAfter, startOutput, validateMaxDuration, withDeadline } from '../../../../core';
import { answerFormatFields, composePrompt } from '../../../shared/answer-format';
import { readStreamFields, stopAfterField, streamFields } from '../../../shared/fields';
import { streamClient } from '../../../shared/streams';
import type { ApiSession } from '../../../shared/transport';

const show = { resource: ['stream'], operation: ['start'] };

const STOP_AFTER_HELP =
	'Stop the stream by itself after this many minutes, in case nobody stops it (an AI Agent or a failed workflow can forget). The deadline travels in the callback URL: the Memories.ai Live Video Trigger (or a Node-RED results node) that receives the results stops the stream at the first result past it, if it has this credential. 0 means never.';

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
	// Version 1 workflows (made before Stop After) keep streams running until stopped, as they did.
	...([
		[[1], 0],
		[[1.1], DEFAULT_STOP_AFTER_MINUTES],
	] as const).map(([versions, minutes]) =>
		stopAfterField({ show: { ...show, '@version': [...versions] } }, minutes, STOP_AFTER_HELP),
	),
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
	const minutes = validateMaxDuration(this.getNodeParameter('maxDurationMinutes', itemIndex, 0));
	const callbackUrl = withDeadline(this.getNodeParameter('callbackUrl', itemIndex, ''), deadlineAfter(Date.now(), minutes));
	const started = await streamClient(this, session).start({ ...fields, callbackUrl });
	// What was sent, as the core validated it, with the deadline its receiver will keep.
	return { ...startOutput(started, minutes) };
}
