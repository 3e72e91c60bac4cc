// join_by_key: groups in order of first appearance, items in input order;
// str, integer, bool and struct keys.
module batch_join;

struct Sale {
    region: str;
    year: i32;
    amount: i64;
}

struct Where {
    region: str;
    year: i32;
}

struct Place {                 // a struct key holding a struct
    where: Where;
    online: bool;
}

stage region_of(Sale) -> str = sale_region;
stage year_of(Sale) -> i32 = sale_year;
stage where_of(Sale) -> Where = sale_where;
stage place_of(Sale) -> Place = sale_place;
stage big(Sale) -> bool = sale_is_big;

pipeline by_region([Sale]) -> [Group<str, Sale>] = join_by_key(region_of);
pipeline by_year([Sale]) -> [Group<i32, Sale>] = join_by_key(year_of);
pipeline by_where([Sale]) -> [Group<Where, Sale>] = join_by_key(where_of);
pipeline by_place([Sale]) -> [Group<Place, Sale>] = join_by_key(place_of) as places;
pipeline by_size([Sale]) -> [Group<bool, Sale>] = join_by_key(big);
