export { jobHandlers, startJobProcessing } from '@gatehouse/server';
