package io.danmakurelay.sim;

import java.util.List;

/**
 * The ground truth of one push connection the simulator served.
 *
 * @param id           the simulator's connection number, from 1
 * @param room         the real room it authenticated for (-1 before auth)
 * @param openedAt     epoch ms the WebSocket opened (simulator clock)
 * @param authedAt     epoch ms auth succeeded, 0 if it never did
 * @param closedAt     epoch ms it closed, 0 while open
 * @param closeReason  why it closed ("client", "drop", "fault", "auth-timeout", "bad-auth", "token", "heartbeat-timeout")
 * @param authError    what was wrong with the auth packet, "" when nothing
 * @param protover     the auth packet's protover
 * @param uid          the auth packet's uid
 * @param buvid        the auth packet's buvid
 * @param authPacket   the first frame received, as hex (the auth packet's exact bytes)
 * @param heartbeats   heartbeat packets received
 * @param heartbeatAt  the last (up to 20) heartbeat arrival times, epoch ms (wall clock)
 * @param messageSeqs  the room's message seqs (SimMessage.seq) pushed to it, in order
 * @param eventIds     the sim_id of every non-chat command pushed to it, in order
 * @param eventCmds    their cmd, in the same order
 * @param garbageFrames malformed frames sent to it on order
 */
public record PushConnectionStats(
    int id,
    long room,
    long openedAt,
    long authedAt,
    long closedAt,
    String closeReason,
    String authError,
    int protover,
    long uid,
    String buvid,
    String authPacket,
    int heartbeats,
    List<Long> heartbeatAt,
    int[] messageSeqs,
    List<String> eventIds,
    List<String> eventCmds,
    int garbageFrames) {}
