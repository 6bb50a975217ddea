// A producer's configuration as users give it: Java's producer property names and values, as a map
// or from a properties file. spawn_producer (cafka/producer.hpp) validates them.
#pragma once

#include <expected>
#include <map>
#include <string>

namespace cafka {

using properties = std::map<std::string, std::string>;

// Java properties-file syntax: key=value or key: value, # and ! comments, blank lines. The error
// names the file and the line.
std::expected<properties, std::string> load_properties_file(const std::string& path);

} // namespace cafka
