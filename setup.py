"""Packaging step: a built qa carries the seed corpus as ``qa/seeds`` (the top-level seeds/ stays the only copy)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SEEDS = Path(__file__).resolve().parent / "seeds"


class BuildWithSeeds(build_py):
    """build_py, then seeds/ copied to qa/seeds in the build folder (a wheel; an editable install reads seeds/)."""

    def run(self):
        super().run()
        if not self.editable_mode and SEEDS.is_dir():
            shutil.copytree(SEEDS, Path(self.build_lib) / "qa" / "seeds", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithSeeds})
