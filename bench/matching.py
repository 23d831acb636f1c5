"""`make bench-matching`: the matching engine at full size, each figure beside a naive
pairwise scorer measured in the same run (on a sample, scaled up)."""

from __future__ import annotations

from bench import matching_rounds, matching_suggest


def main() -> None:
    matching_suggest.run()
    matching_rounds.run()


if __name__ == "__main__":
    main()
