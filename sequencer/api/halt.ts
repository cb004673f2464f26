/** Writes are refused while the batch pipeline is halted: nothing accepted could be proven. */
import { SequencerError } from '../errors.js'
import type { ApiContext } from './context.js'

export function assertLive(ctx: ApiContext): void {
  const halted = ctx.pipeline.halted
  if (halted) throw new SequencerError(503, 'HALTED', `the sequencer is halted and accepts no changes: ${halted}`)
}
