%% Spawn time and memory per idle process: 1,000,000 processes that each wait in receive.
%% bytesPerProcess: the growth of erlang:memory(processes), less the spawning process's own
%% memory, divided by N. processInfoBytes: process_info(P, memory) of one idle process.
-module(spawn_memory).
-export([main/0, idle/1]).

idle(Parent) ->
    receive stop -> Parent ! stopped end.

spawn_all(0, _Me, Last) -> Last;
spawn_all(I, Me, _Last) -> spawn_all(I - 1, Me, spawn(?MODULE, idle, [Me])).

%% Waits until every run queue is empty: every new process has run to its receive.
wait_parked() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> erlang:yield(), wait_parked()
    end.

others_memory() ->
    {memory, Own} = process_info(self(), memory),
    erlang:memory(processes) - Own.

main() ->
    N = bench_util:env_int("BENCH_N", 1000000),
    Me = self(),
    garbage_collect(),
    Before = others_memory(),
    T0 = bench_util:now_us(),
    Last = spawn_all(N, Me, undefined),
    T1 = bench_util:now_us(),
    wait_parked(),
    T2 = bench_util:now_us(),
    After = others_memory(),
    {memory, One} = process_info(Last, memory),
    bench_util:print([{processes, N},
                      {spawnUs, (T1 - T0) / N},
                      {spawnAndParkUs, (T2 - T0) / N},
                      {bytesPerProcess, (After - Before) / N},
                      {processInfoBytes, One},
                      {schedulers, bench_util:schedulers()}]).
