"""The workflow behind the README's ``toil stats`` table, chart and ``toil status`` report.

``python docs/stats_demo.py file:demo-js --stats [--failChunk N]``

``prepare`` splits the numbers below ``--limit`` into ``--chunks`` ranges; one ``countPrimes`` job per
range counts the primes in it (real CPU work, half a core each, so several run at once); the
follow-on ``report`` adds the counts up. ``--failChunk N`` makes chunk N fail, to show ``toil status``
on a failed workflow.
"""
from toil.common import Toil
from toil.job import Job


class CountPrimes(Job):
    def __init__(self, start, stop, fail=False):
        super().__init__(cores=0.5, memory="100M", disk="10M", displayName="countPrimes")
        self.start, self.stop, self.fail = start, stop, fail

    def run(self, fileStore):
        if self.fail:
            raise RuntimeError(f"chunk {self.start}-{self.stop} failed on purpose (--failChunk)")
        count = 0
        for n in range(max(2, self.start), self.stop):
            if all(n % d for d in range(2, int(n ** 0.5) + 1)):
                count += 1
        self.log(f"{count} primes in [{self.start}, {self.stop})")
        return count


class Report(Job):
    def __init__(self, counts):
        super().__init__(cores=0.5, memory="100M", disk="10M", displayName="report")
        self.counts = counts

    def run(self, fileStore):
        return sum(self.counts)


class Prepare(Job):
    def __init__(self, limit, chunks, fail_chunk):
        super().__init__(cores=0.5, memory="100M", disk="10M", displayName="prepare")
        self.limit, self.chunks, self.fail_chunk = limit, chunks, fail_chunk

    def run(self, fileStore):
        step = -(-self.limit // self.chunks)
        counts = []
        for index, start in enumerate(range(0, self.limit, step)):
            child = CountPrimes(start, min(self.limit, start + step), fail=index == self.fail_chunk)
            self.addChild(child)
            counts.append(child.rv())
        return self.addFollowOn(Report(counts)).rv()


if __name__ == "__main__":
    parser = Job.Runner.getDefaultArgumentParser()
    parser.add_argument("--limit", type=int, default=1500000, help="count the primes below this")
    parser.add_argument("--chunks", type=int, default=8, help="number of countPrimes jobs")
    parser.add_argument("--failChunk", type=int, default=-1, help="make this chunk's job fail")
    options = parser.parse_args()
    with Toil(options) as toil:
        total = toil.start(Prepare(options.limit, options.chunks, options.failChunk))
    print(f"{total} primes below {options.limit}")
