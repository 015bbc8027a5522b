# Drives seed_handler.py as the Lambda runtime would: `cold` imports it and answers one event, then
# exits (the bench times the whole process); `warm N GAP_MS` answers N events GAP_MS apart and prints
# each latency in ms as a JSON list. Usage: python3 drive_seed.py cold | warm 300 66
import json
import sys
import time

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from seed_handler import lambda_handler  # noqa: E402


def once():
    answer = lambda_handler({'body': '{}'}, None)
    if answer['statusCode'] != 200:
        raise SystemExit(f"seed handler answered {answer['statusCode']}: {answer['body']}")


if sys.argv[1] == 'cold':
    once()
else:
    count, gap = int(sys.argv[2]), float(sys.argv[3]) / 1000
    once()
    times = []
    for _ in range(count):
        time.sleep(gap)
        started = time.perf_counter()
        once()
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps(times))
