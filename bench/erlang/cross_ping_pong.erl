%% Ping-pong across schedulers: two processes bound to different schedulers pass a message back
%% and forth; the round-trip time. bareUs: Pid ! {self(), N} and a receive. callUs: the call
%% written by hand (make_ref, send, selective receive on the ref), what Beamline's call does.
%% Both processes are started with erlang:spawn_opt/4's {scheduler, N} option, which binds a
%% process to scheduler N (undocumented; present in OTP 25): without it the BEAM soon runs two
%% processes that only talk to each other on one scheduler. The same as
%% bench/programs/cross_ping_pong.ts. Needs +S 2 or more.
-module(cross_ping_pong).
-export([main/0, run/2, echo/0, ref_server/0]).

echo() ->
    receive {From, N} -> From ! N, echo() end.

bare(_E, _Me, 0) -> ok;
bare(E, Me, I) ->
    E ! {Me, I},
    receive I -> ok end,
    bare(E, Me, I - 1).

ref_server() ->
    receive {'$call', {From, Ref}, N} -> From ! {'$reply', Ref, N}, ref_server() end.

ref_call(S, Request) ->
    Ref = make_ref(),
    S ! {'$call', {self(), Ref}, Request},
    receive {'$reply', Ref, Reply} -> Reply after 5000 -> exit(timeout) end.

ref_calls(_S, 0) -> ok;
ref_calls(S, I) ->
    I = ref_call(S, I),
    ref_calls(S, I - 1).

time_us(Rounds, Fun) ->
    T0 = bench_util:now_us(),
    Fun(),
    (bench_util:now_us() - T0) / Rounds.

run(Main, Rounds) ->
    Me = self(),
    From = erlang:system_info(scheduler_id),
    To = From rem erlang:system_info(schedulers_online) + 1,
    E = erlang:spawn_opt(?MODULE, echo, [], [{scheduler, To}]),
    bare(E, Me, 10000),
    BareUs = time_us(Rounds, fun() -> bare(E, Me, Rounds) end),
    S = erlang:spawn_opt(?MODULE, ref_server, [], [{scheduler, To}]),
    ref_calls(S, 10000),
    CallUs = time_us(Rounds, fun() -> ref_calls(S, Rounds) end),
    Main ! {result, [{rounds, Rounds}, {bareUs, BareUs}, {callUs, CallUs}, {from, From}, {to, To},
                     {schedulers, bench_util:schedulers()}]}.

main() ->
    Rounds = bench_util:env_int("BENCH_N", 200000),
    case bench_util:schedulers() of
        1 -> erlang:error(needs_two_schedulers);
        _ -> ok
    end,
    erlang:spawn_opt(?MODULE, run, [self(), Rounds], [{scheduler, 1}]),
    receive {result, Pairs} -> bench_util:print(Pairs) end.
