%% Throughput across schedulers, one way: one sender per scheduler, each sending small integers to
%% a receiver on the next scheduler (sender on K, receiver on K rem N + 1), all at once. Messages
%% per second, from the first spawn to the last receiver's done; each receiver matches its
%% sender's messages in order. Processes are bound with erlang:spawn_opt/4's {scheduler, N}
%% (undocumented; present in OTP 25). BENCH_N is the number of messages in all (default
%% 2,000,000), after an untimed round of a tenth of that. The same as
%% bench/programs/cross_throughput.ts. Needs +S 2 or more.
-module(cross_throughput).
-export([main/0, receiver/2, sender/2]).

receiver(Main, Count) -> receive_all(0, Count), Main ! done.

receive_all(Count, Count) -> ok;
receive_all(K, Count) -> receive K -> receive_all(K + 1, Count) end.

sender(To, Count) -> send_all(To, 0, Count).

send_all(_To, Count, Count) -> ok;
send_all(To, K, Count) -> To ! K, send_all(To, K + 1, Count).

run(PerSender) ->
    Me = self(),
    N = erlang:system_info(schedulers_online),
    T0 = bench_util:now_us(),
    [begin
         R = erlang:spawn_opt(?MODULE, receiver, [Me, PerSender], [{scheduler, K rem N + 1}]),
         erlang:spawn_opt(?MODULE, sender, [R, PerSender], [{scheduler, K}])
     end || K <- lists:seq(1, N)],
    [receive done -> ok end || _ <- lists:seq(1, N)],
    N * PerSender / ((bench_util:now_us() - T0) / 1000000).

main() ->
    Total = bench_util:env_int("BENCH_N", 2000000),
    N = bench_util:schedulers(),
    case N of
        1 -> erlang:error(needs_two_schedulers);
        _ -> ok
    end,
    PerSender = max(1, Total div N),
    run(max(1, PerSender div 10)),
    PerSec = run(PerSender),
    bench_util:print([{senders, N}, {perSender, PerSender}, {messagesPerSec, PerSec}, {schedulers, N}]).
