return {data = {}}
