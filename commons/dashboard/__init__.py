"""A community's dashboard for its coordinators: figures, charts and a CSV for funders."""
