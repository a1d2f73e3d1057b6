/**
 * What the generator's run loop needs from a protocol driver (SAMA or XMPP): a set of group
 * members that can send, and a way to hear what the server sends back. The run loop owns the
 * rate, the ids and the clocks; a driver only encodes and decodes.
 */

/** Events a driver reports during a run. `now` is process.hrtime.bigint() when the frame arrived, taken before decoding it. */
export interface RunSink {
  /** The server confirmed the message this member sent with client id `id`. */
  ack(id: string, now: bigint): void;
  /**
   * Another member received a message whose body carried its send time (hrtime, ns). `route`
   * says whether sender and recipient are connected to the same cluster node or to different
   * ones, where the driver knows (SAMA with several nodes); otherwise it is absent.
   */
  deliver(sentNs: bigint, now: bigint, route?: 'same' | 'cross'): void;
  /** The server answered with an error, or a connection failed. */
  error(): void;
}

/** Group members set up on a server, ready to load it. */
export interface LoadTarget {
  /** Members in group order: a group's members are consecutive, `groupSize` of them. */
  readonly members: number;
  readonly groupSize: number;
  /** Sends one message from member `member` to its group; the body is `sentNs` in decimal. */
  send(member: number, id: string, sentNs: bigint): void;
  /** Routes everything the members receive from now on to `sink`. */
  listen(sink: RunSink): void;
}
